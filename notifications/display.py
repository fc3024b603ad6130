"""How a notification reads, on the page and in email."""

from dataclasses import dataclass, field

from django.conf import settings

from notifications.models import Kind, Notification

EXCERPT_LENGTH = 200


@dataclass(frozen=True)
class Shown:
    title: str
    excerpt: str
    url: str  # a path on the site, or absolute
    links: list[dict[str, str]] = field(default_factory=list)  # further links: {"label", "url"}


def _name(user) -> str:  # type: ignore[no-untyped-def]
    return user.public_name if user is not None else "A former reader"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def describe(notification: Notification, muted: frozenset[int] = frozenset()) -> Shown:
    """Title, excerpt and link; `muted`: the reader's muted ids, left out of reaction counts."""
    n, kind = notification, notification.kind
    body = _excerpt(n.comment.body) if n.comment_id and n.comment else ""
    if kind == Kind.REPLY:
        return Shown(f"{_name(n.actor)} replied to your comment", body, n.url)
    if kind == Kind.MENTION:
        return Shown(f"{_name(n.actor)} mentioned you", body, n.url)
    if kind == Kind.REACTION:
        count = len([pk for pk in n.actor_ids if pk not in muted]) or n.count
        who = _name(n.actor) if count == 1 else f"{count} people"
        return Shown(f"{who} respected your comment", body, n.url)
    if kind == Kind.FEATURED:
        return Shown("Your comment is an editor’s pick", body, n.url)
    if kind == Kind.FOLLOWED:
        headline = n.article.headline if n.article_id and n.article else ""
        return Shown(f"New in {n.text}: {headline}" if n.text else f"New: {headline}", "", n.url)
    first, _, rest = n.text.partition("\n")
    return Shown(first, _excerpt(rest), n.url, list(n.links))


def absolute(url: str) -> str:
    """A link that works in an email: paths are made absolute from SITE_URL."""
    return url if "://" in url else settings.SITE_URL + url
