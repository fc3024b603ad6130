"""Notification emails: their words, their unsubscribe links (signed, no login) and headers."""

import binascii
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

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


LINE_BREAK = re.compile(r"\r\n|\r|\n")
LINE_LIMIT = 998  # bytes, RFC 5322: a part with a longer line goes in quoted-printable


@dataclass(frozen=True)
class Email:
    """One notification email, made once per send.

    Over SMTP it goes as the bytes `as_bytes` writes, a multipart/alternative message encoded as
    Django encodes one, at a fraction of the cost of `EmailMessage.message()`, whose header folding
    and boundary search dominated the digest run.  Any other backend (the test outbox, the console)
    gets the same email as a Django message from `as_django`.
    """

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]

    def as_bytes(self, sender: str) -> bytes:
        """The message for an SMTP session; `sender`: the From address, as `address` gives it."""
        parts = [_part("text/plain", self.text), _part("text/html", self.html)]
        boundary = secrets.token_hex(16)
        while any(boundary.encode() in part for part in parts):  # chosen after the words: never, really
            boundary = secrets.token_hex(16)
        head = [
            f"From: {sender}",
            f"To: {address(self.to)}",
            "Subject: " + Header(self.subject, header_name="Subject").encode(linesep="\r\n"),
            f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "",
        ]
        delimiter = f"\r\n--{boundary}\r\n".encode()
        return b"".join(
            [
                "\r\n".join(head).encode(),
                delimiter,
                parts[0],
                delimiter,
                parts[1],
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )

    def as_django(self, connection) -> EmailMultiAlternatives:  # type: ignore[no-untyped-def]
        message = EmailMultiAlternatives(
            self.subject, self.text, to=[self.to], connection=connection, headers=self.headers
        )
        message.attach_alternative(self.html, "text/html")
        return message


def _part(content_type: str, body: str) -> bytes:
    """One part with its headers: its words as they are, like Django's, unless a line is too long."""
    data = LINE_BREAK.sub("\r\n", body).encode()
    if any(len(line) > LINE_LIMIT for line in data.split(b"\r\n")):
        data, encoding = binascii.b2a_qp(data, istext=True), "quoted-printable"
    else:
        encoding = "7bit" if data.isascii() else "8bit"
    head = f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'
    return head.encode() + data


def address(addr: str) -> str:
    """An address for a header and the envelope: as it is when it is plain ASCII, else as Django
    writes it (IDNA domains, encoded names; an error for a line break)."""
    plain = addr.isascii() and addr.isprintable() and "@" in addr and not set(addr) & set(' "<>,;()')
    return addr if plain else sanitize_address(addr, "utf-8")


class Letters:
    """Writes the emails of one send.

    Readers told the same things read the same words, so each distinct content is rendered once, with
    markers where a reader's own parts go (their name, their signed unsubscribe links), and each
    email fills those in, escaped in the HTML part as the template escapes them: a tenth of the cost
    of rendering both templates for every reader.  The templates print those parts as they are.
    """

    def __init__(self) -> None:
        self._marker = f"\x00{secrets.token_hex(8)}:"  # new for each send: no content can carry it
        self._slots = re.compile(re.escape(self._marker) + r"(\w+)\x00")
        self._domain = _mail_domain()
        self._links = {
            "settings_url": absolute(reverse("notifications:settings")),
            "notifications_url": absolute(reverse("notifications:list")),
        }
        self._rendered: dict[tuple, tuple[list[str], list[str]]] = {}  # type: ignore[type-arg]

    def email(self, delivery: EmailDelivery, items: list[Item]) -> Email | None:
        """The email for a delivery, or None when it has nothing left to tell."""
        if not items:
            return None
        user = delivery.recipient
        by_kind: dict[str, list[Shown]] = defaultdict(list)
        for kind, shown in items:
            links = [{"label": link["label"], "url": absolute(link["url"])} for link in shown.links]
            by_kind[kind].append(Shown(shown.title, shown.excerpt, absolute(shown.url), links))
        stop_all = unsubscribe_url(user.pk, sorted(by_kind))
        own = {"name": user.public_name, "all": stop_all}
        for number, kind in enumerate(by_kind):
            # One kind: its link is the one for all of them (signing costs a tenth of a millisecond).
            own[f"s{number}"] = stop_all if len(by_kind) == 1 else unsubscribe_url(user.pk, [kind])
        text, html = self._words(by_kind)
        return Email(
            to=user.email,
            subject=" ".join(_subject(delivery, items).splitlines()),  # a title's stray line break
            text=_fill(text, own),
            html=_fill(html, {slot: escape(value) for slot, value in own.items()}),
            headers={
                "List-Unsubscribe": f"<{stop_all}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
                # The same email keeps its Message-ID if it is ever tried again.
                "Message-ID": f"<notifications.{delivery.pk}@{self._domain}>",
            },
        )

    def _words(self, by_kind: dict[str, list[Shown]]) -> tuple[list[str], list[str]]:
        """Both templates rendered for this content, split at the markers (odd pieces name a slot)."""
        key = tuple(
            (kind, tuple((s.title, s.excerpt, s.url, tuple(map(_pair, s.links))) for s in shown))
            for kind, shown in by_kind.items()
        )
        if key not in self._rendered:
            context = {
                "user": {"public_name": self._mark("name")},
                "site_name": settings.SITE_NAME,
                "sections": [
                    {"label": Kind(kind).label, "items": shown, "unsubscribe": self._mark(f"s{number}")}
                    for number, (kind, shown) in enumerate(by_kind.items())
                ],
                "unsubscribe": self._mark("all"),
                **self._links,
            }
            self._rendered[key] = (
                self._slots.split(render_to_string("notifications/email/notifications.txt", context)),
                self._slots.split(render_to_string("notifications/email/notifications.html", context)),
            )
        return self._rendered[key]

    def _mark(self, slot: str) -> str:
        return f"{self._marker}{slot}\x00"


def _pair(link: dict[str, str]) -> tuple[str, str]:
    return link["label"], link["url"]


def _fill(pieces: list[str], own: dict[str, str]) -> str:
    filled = pieces.copy()
    filled[1::2] = [own[slot] for slot in pieces[1::2]]
    return "".join(filled)
