"""Follow buttons and the interests modules other apps' pages include.

Anonymous readers get a "Log in to follow" link (a button would fail for want of a session), so a
cached anonymous page is the same for everyone; a signed-in reader's pages are never cached and show
their own follow state, read in one query per request (selectors.followed_keys).
"""

from django import template
from django.http import HttpRequest

from articles.models import Article, Section, Topic
from discussions import services as discussions_services
from discussions.models import Thread
from interests import selectors
from interests.followables import Followable, of_discussion, of_section, of_topic, sources_of, topic_key

register = template.Library()


def followable(target: object) -> Followable:
    """A Topic, Section, Thread or Followable; an Article stands for its discussion."""
    if isinstance(target, Followable):
        return target
    if isinstance(target, Topic):
        return of_topic(target)
    if isinstance(target, Section):
        return of_section(target)
    if isinstance(target, Thread):
        return of_discussion(target)
    if isinstance(target, Article):
        try:
            thread = target.thread  # select_related by articles.selectors.article_for_page
        except Thread.DoesNotExist:
            thread = discussions_services.thread_for_article(target)
        return of_discussion(thread)
    raise TypeError(f"Nothing to follow in {target!r}")


def follow_context(request: HttpRequest, target: object, compact: bool = False) -> dict[str, object]:
    context: dict[str, object] = {"request": request, "compact": compact}
    if not request.user.is_authenticated:
        return context  # the template's login link; no query, nothing personal in a cached page
    item = followable(target)
    context.update(item=item, following=item.key in selectors.followed_keys(request))
    return context


@register.inclusion_tag("interests/_follow.html", takes_context=True)
def follow_button(context, target, compact=False):
    """A Follow / Following button for `target` (see `followable`); "Log in to follow" when anonymous."""
    return follow_context(context["request"], target, compact)


@register.filter
def article_sources(article: Article) -> list[Followable]:
    """The authors and agency of an article, to follow."""
    return sources_of(article)


@register.inclusion_tag("interests/_active_discussions.html")
def active_discussions(exclude=None, heading="Active discussions"):
    """The discussions with the most new comments, except on the articles in `exclude` (their ids)."""
    return {
        "discussions": selectors.active_discussions(exclude_articles=list(exclude or [])),
        "heading": heading,
    }


@register.inclusion_tag("interests/_topic_followers.html", takes_context=True)
def topic_followers(context, topic):
    """Under a topic's heading: its follow button and follower count (which a follow updates, htmx)."""
    key = topic_key(topic.pk)
    return {
        **follow_context(context["request"], topic),
        "key": key,
        "followers": selectors.follower_count(key),
    }


@register.inclusion_tag("interests/_topic_discussions.html")
def topic_discussions(topic):
    """The most commented discussions among the topic's recent articles."""
    return {"topic": topic, "discussions": list(selectors.topic_discussions(topic))}
