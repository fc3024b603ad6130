"""From a publisher's story URL to its discussion thread."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.urls import Resolver404, resolve

from articles.models import Article
from discussions import services
from discussions.models import Thread
from embed.allowlist import host_allowed

MAX_URL_LENGTH = Thread.URL_MAX_LENGTH
MAX_TITLE_LENGTH = Thread._meta.get_field("title").max_length
_DEFAULT_PORTS = {"http": 80, "https": 443}
_validate_url = URLValidator(schemes=["http", "https"])
# The one answer for a page with no discussion to show, whether or not an unpublished article is there:
# a draft's or an embargoed story's address must not tell that it exists.
NO_DISCUSSION = "There is no discussion for this page."


class Refused(Exception):
    """The embed cannot show a discussion for this story; `message` says why, to a person."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _normalise(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment: one thread per story."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def clean_story_url(raw: str) -> str:
    """The story's URL, normalised, or Refused: an http(s) URL on an allowed publisher's host."""
    url = raw.strip()
    if not url:
        raise Refused('No story address was given. The snippet needs data-agora-story="https://…".')
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"The story address is too long: at most {MAX_URL_LENGTH} characters.")
    try:
        _validate_url(url)
        normalised = _normalise(url)  # ValueError for a malformed port
    except (ValidationError, ValueError):
        raise Refused("The story address is not a web address starting with http:// or https://.") from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise Refused("The story address must not contain a user name or password.")
    host = parts.hostname or ""
    if not host_allowed(host):
        raise Refused(f"{host} is not one of the sites allowed to show {settings.SITE_NAME} discussions.")
    return normalised


def clean_title(raw: str) -> str:
    return " ".join(raw.split())[:MAX_TITLE_LENGTH]


def _on_our_site(url: str) -> bool:
    site = urlsplit(_normalise(settings.SITE_URL))
    return urlsplit(url)[:2] == (site.scheme, site.netloc)


def _own_article(url: str) -> Article | None:
    """Our article at this address on our own site (SITE_URL), if it is one."""
    parts = urlsplit(url)
    if not _on_our_site(url):
        return None
    try:
        match = resolve(parts.path, urlconf=settings.ROOT_URLCONF)
    except Resolver404:
        return None
    if match.view_name != "articles:detail":
        return None
    return Article.objects.filter(slug=match.kwargs.get("slug")).first()


def article_for(url: str, raw: str = "") -> Article | None:
    """One of our articles whose canonical URL this is (ingested copy, or our own page)."""
    candidates = {url, raw.strip()} - {""}
    return Article.objects.filter(canonical_url__in=candidates).first() or _own_article(url)


def existing_thread(url: str, raw: str = "") -> Thread | None:
    """The story's thread, None for a publisher's story seen for the first time, or Refused.

    A page of our own site has a discussion only when it is a published article's: any other
    (unknown, a draft's, an embargoed one's) is refused alike, never given a thread of its own.
    """
    article = article_for(url, raw)
    if article is not None and article.is_published:
        return services.thread_for_article(article)
    if article is not None or _on_our_site(url):
        raise Refused(NO_DISCUSSION, status=404)
    return Thread.objects.filter(url=url).first()


def create_thread(url: str, title: str) -> Thread:
    thread, _ = Thread.objects.get_or_create(url=url, defaults={"title": title})
    return thread


def fill_missing_title(thread: Thread, title: str) -> None:
    """A thread first seen without a title takes the first one a page gives; a title is never replaced."""
    if title and not thread.title and not thread.article_id:
        Thread.objects.filter(pk=thread.pk, title="").update(title=title)
        thread.title = title
