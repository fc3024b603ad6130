"""Things a reader can follow, and the keys they are found by (see interests.models)."""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.text import slugify

from articles.models import Article, Section, Topic
from discussions.models import Thread
from interests.models import Follow

Kind = Follow.Kind
_AUTHOR_SEPARATORS = re.compile(r"\s*(?:,|&|\band\b)\s*")


# Where each kind of followable thing has its page: URL name, reversed with Followable.slug.
PAGES = {
    Kind.TOPIC: "articles:topic",
    Kind.SECTION: "articles:section",
    Kind.AUTHOR: "interests:author",
    Kind.AGENCY: "interests:agency",
    Kind.DISCUSSION: "discussions:thread",
}


@dataclass(frozen=True)
class Followable:
    kind: str
    key: str
    label: str  # how pages name it: "Syria", "World", "Ana Lind", "AFP", a discussion's headline
    slug: str  # of its page's address (a discussion's: its thread id)
    topic: Topic | None = None
    section: Section | None = None
    thread: Thread | None = None

    @property
    def url(self) -> str:
        """Its page (reversed when asked: a feed builds many Followables and shows a few links)."""
        return reverse(PAGES[Kind(self.kind)], args=[self.slug])

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def target(self) -> str:
        """What the follow form posts to name it (interests.selectors.followable_from_form)."""
        return self.label if self.kind in (Kind.AUTHOR, Kind.AGENCY) else self.key.partition(":")[2]


def topic_key(topic_id: int) -> str:
    return f"{Kind.TOPIC}:{topic_id}"


def section_key(section_id: int) -> str:
    return f"{Kind.SECTION}:{section_id}"


def name_key(kind: str, name: str) -> str:
    """An author's or agency's key: the slug of the name, so "AFP" and "afp" are one agency."""
    return f"{kind}:{slugify(name)[:100]}"


def discussion_key(thread_id: int) -> str:
    return f"{Kind.DISCUSSION}:{thread_id}"


def of_topic(topic: Topic) -> Followable:
    return Followable(Kind.TOPIC, topic_key(topic.pk), topic.name, topic.slug, topic=topic)


def of_section(section: Section) -> Followable:
    return Followable(Kind.SECTION, section_key(section.pk), section.name, section.slug, section=section)


def of_author(name: str) -> Followable:
    key = name_key(Kind.AUTHOR, name)
    return Followable(Kind.AUTHOR, key, name, key.partition(":")[2])


def of_agency(name: str) -> Followable:
    key = name_key(Kind.AGENCY, name)
    return Followable(Kind.AGENCY, key, name, key.partition(":")[2])


def of_discussion(thread: Thread) -> Followable:
    return Followable(Kind.DISCUSSION, discussion_key(thread.pk), str(thread), str(thread.pk), thread=thread)


def authors_of(byline: str) -> list[str]:
    """The people a byline names: "Ana Lind and Tom de Vries" is two authors."""
    names = _AUTHOR_SEPARATORS.split(byline.removeprefix("By ").strip())
    return [name for name in (n.strip() for n in names) if name and slugify(name)]


def sources_of(article: Article) -> list[Followable]:
    """The authors of an article's byline, then its agency."""
    found = [of_author(name) for name in authors_of(article.byline)]
    if article.source.strip() and slugify(article.source):
        found.append(of_agency(article.source.strip()))
    return found
