"""One source, fetched once or polled: fetch, tell the format, parse, store each article."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.text import slugify

from articles.ingest.feeds import FeedItem, parse_feed
from articles.ingest.html import parse_html_page
from articles.ingest.sources import Fetched, Format, IngestError, decode_text, fetch, sniff
from articles.ingest.wire import parse_wire
from articles.models import Article
from articles.services import ArticleData, upsert_article

GUID_MAX = 500


@dataclass(frozen=True)
class Options:
    """What the person running the ingest decides, over what the copy says."""

    section: str = ""
    agency: str = ""
    status: str | None = None  # None: new articles publish, updates keep their status


@dataclass
class Outcome:
    label: str
    article: Article | None = None
    created: bool = False
    problem: str = ""  # why the item was skipped
    unchanged: bool = False  # identical to what this ingestor stored at an earlier poll


def parse(fetched: Fetched, kind: Format) -> list[FeedItem]:
    """The items of a source; a page or wire copy is a feed of one."""
    if kind == Format.FEED:
        return parse_feed(fetched)
    if kind == Format.HTML:
        data = parse_html_page(fetched)
    else:
        data = replace(parse_wire(decode_text(fetched), fetched.source), canonical_url=fetched.url)
    return [FeedItem(data.headline, data)]


def describe_invalid(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    return "; ".join(
        f"{'body' if name == '__all__' else name}: {' '.join(messages)}"
        for name, messages in exc.message_dict.items()
    )


class Ingestor:
    """Ingests one source, repeatedly if asked.

    Between polls it keeps the HTTP validators (ETag, Last-Modified) for a conditional GET,
    and a fingerprint of every article it stored, so that an unchanged item is not rewritten:
    rewriting would bump updated_at and mark the story "updated" for readers.
    """

    def __init__(
        self, source: str, options: Options, topics_later: Callable[[int], None] | None = None
    ) -> None:
        """`topics_later(article_id)`, when given, derives the topics of a feed's items (a bulk ingest)
        instead of the store: it queues the work (articles.tasks.queue_topics)."""
        self.source = source
        self.options = options
        self.topics_later = topics_later
        self.format: Format | None = None
        self._etag: str | None = None
        self._last_modified: str | None = None
        self._fingerprints: dict[str, str] = {}

    def poll(self) -> list[FeedItem] | None:
        """Fetch and parse the source; None when the server says it has not changed."""
        fetched = fetch(self.source, etag=self._etag, last_modified=self._last_modified)
        if fetched.not_modified:
            return None
        self._etag, self._last_modified = fetched.etag, fetched.last_modified
        self.format = sniff(fetched)
        return parse(fetched, self.format)

    def store(self, item: FeedItem) -> Outcome:
        """Store one item in its own transaction; a bad feed item is an Outcome with a problem.

        For a page or wire copy, whose only article is the whole source, a problem raises
        IngestError instead.
        """
        outcome = self._store(item)
        if outcome.problem and self.format != Format.FEED:
            raise IngestError(self.source, outcome.problem)
        return outcome

    def _store(self, item: FeedItem) -> Outcome:
        if item.data is None:
            return Outcome(item.label, problem=item.problem)
        data = self.prepare(item.data)
        key = data.canonical_url or data.feed_guid or ""
        fingerprint = hashlib.sha256(repr(data).encode()).hexdigest()
        if self._fingerprints.get(key) == fingerprint:
            return Outcome(item.label, unchanged=True)
        later = self.topics_later if self.format == Format.FEED else None
        try:
            article, created = upsert_article(data, topics=later is None)
        except ValidationError as exc:
            return Outcome(item.label, problem=f"invalid: {describe_invalid(exc)}")
        except IntegrityError as exc:  # a concurrent ingest stored the same story first
            return Outcome(item.label, problem=f"the database refused it ({exc})")
        self._fingerprints[key] = fingerprint
        if later is not None:
            later(article.pk)
        return Outcome(item.label, article=article, created=created)

    def prepare(self, data: ArticleData) -> ArticleData:
        """Apply the options, and give copy with no URL or GUID a stable identity.

        Wire copy and a saved page read from a file have no address; keyed on origin and
        headline, ingesting the same copy again updates the article instead of duplicating it.
        """
        data = replace(
            data,
            section_slug=self.options.section,
            status=self.options.status,
            source=self.options.agency or data.source,
        )
        if not data.canonical_url and not data.feed_guid:
            data = replace(data, feed_guid=f"{data.origin}:{slugify(data.headline)}"[:GUID_MAX])
        return data
