"""Notification emails: their words, their unsubscribe links (signed, no login) and headers."""

from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Mute
from notifications import selectors
from notifications.display import Shown, absolute, describe
from notifications.models import EmailDelivery, Frequency, Kind, Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


class BadLink(Exception):
    """An unsubscribe link that was altered or cut short."""


def unsubscribe_token(user_id: int, kinds: list[str]) -> str:
    return signing.dumps({"u": user_id, "k": sorted(kinds)}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, list[str]]:
    """The reader and kinds a link unsubscribes; BadLink if it is not one we signed."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, kinds = int(data["u"]), [Kind(kind) for kind in data["k"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise BadLink("This unsubscribe link is not valid: it may have been cut short.") from error
    return user_id, [str(kind) for kind in kinds]


def unsubscribe_url(user_id: int, kinds: list[str]) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id, kinds)]))


Item = tuple[str, Shown]  # (kind, how it reads)


def contents_for(deliveries: list[EmailDelivery]) -> dict[int, list[Item]]:
    """What each email still has to tell: its notifications that are unread and may still be shown."""
    ids = {pk for delivery in deliveries for pk in delivery.notification_ids}
    rows = {
        n.pk: n
        for n in selectors.visible(
            Notification.objects.filter(pk__in=ids, read_at__isnull=True)
        ).select_related("actor", "comment", "article")
    }
    muted: dict[int, set[int]] = defaultdict(set)
    recipients = {delivery.recipient_id for delivery in deliveries}
    for muter, muted_id in Mute.objects.filter(muter_id__in=recipients).values_list("muter_id", "muted_id"):
        muted[muter].add(muted_id)
    return {
        delivery.pk: [
            (rows[pk].kind, describe(rows[pk], frozenset(muted[delivery.recipient_id])))
            for pk in delivery.notification_ids
            if pk in rows
        ]
        for delivery in deliveries
    }


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _subject(delivery: EmailDelivery, items: list[Item]) -> str:
    count = len(items)
    if delivery.frequency == Frequency.IMMEDIATE:
        about = items[0][1].title if count == 1 else f"{count} new notifications"
    else:
        period = "daily" if delivery.frequency == Frequency.DAILY else "weekly"
        about = f"your {period} digest, {count} notification{'s' if count > 1 else ''}"
    return f"{settings.SITE_NAME}: {about}"


def message_for(delivery: EmailDelivery, items: list[Item], connection) -> EmailMultiAlternatives | None:  # type: ignore[no-untyped-def]
    """The email for a delivery, or None when it has nothing left to tell."""
    if not items:
        return None
    user = delivery.recipient
    by_kind: dict[str, list[Shown]] = defaultdict(list)
    for kind, shown in items:
        links = [{"label": link["label"], "url": absolute(link["url"])} for link in shown.links]
        by_kind[kind].append(Shown(shown.title, shown.excerpt, absolute(shown.url), links))
    every_kind = sorted(by_kind)
    stop_all = unsubscribe_url(user.pk, every_kind)
    context = {
        "user": user,
        "site_name": settings.SITE_NAME,
        "sections": [
            {"label": Kind(kind).label, "items": shown, "unsubscribe": unsubscribe_url(user.pk, [kind])}
            for kind, shown in by_kind.items()
        ],
        "settings_url": absolute(reverse("notifications:settings")),
        "notifications_url": absolute(reverse("notifications:list")),
        "unsubscribe": stop_all,
    }
    message = EmailMultiAlternatives(
        _subject(delivery, items),
        render_to_string("notifications/email/notifications.txt", context),
        to=[user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{stop_all}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            # The same email keeps its Message-ID if it is ever tried again.
            "Message-ID": f"<notifications.{delivery.pk}@{_mail_domain()}>",
        },
    )
    message.attach_alternative(
        render_to_string("notifications/email/notifications.html", context), "text/html"
    )
    return message
