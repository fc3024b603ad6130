"""Confirming a reader's email address with a signed link that expires after three days.

The token is `django.core.signing` (a TimestampSigner under the hood) over the user's id
and a keyed fingerprint of the address, so a link stops working once the address changes,
the address itself never appears in URLs or logs, and no token table is needed.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import throttle
from accounts.models import User

logger = logging.getLogger(__name__)

SALT = "accounts.email-verification"
MAX_AGE = timedelta(days=3)
CONFIRM_FIRST = (
    "Confirm your email address first: open the link we sent you (we have sent a new one, "
    "at most a few an hour), then log in."
)


class LinkError(Exception):
    """A confirmation link that cannot be used; `expired` tells the two cases apart."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def needs_verification(user: User) -> bool:
    return bool(user.is_authenticated and not user.email_verified_at and not user.is_staff)


def fingerprint(email: str) -> str:
    return salted_hmac(SALT, email.strip().lower()).hexdigest()[:24]


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": fingerprint(user.email)}, salt=SALT)


def user_for_token(token: str) -> User:
    """The account a link confirms; LinkError when it is expired, tampered with or stale."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError(expired=True) from None
    except signing.BadSignature:
        raise LinkError() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise LinkError()
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if (
        user is None
        or not user.email
        or not constant_time_compare(fingerprint(user.email), data.get("e", ""))
    ):
        raise LinkError()
    return user


def confirm(user: User) -> bool:
    """Mark the address confirmed; False when it already was."""
    now = timezone.now()
    updated = User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(email_verified_at=now)
    if updated:
        user.email_verified_at = now
    return bool(updated)


def send_verification_email(request: HttpRequest, user: User) -> bool:
    """Send the link; False (and a logged error) when the mail server refuses it."""
    if not user.email:
        return False
    context = {
        "user": user,
        "site_name": settings.SITE_NAME,
        # From SITE_URL, never the request's Host: a forged Host must not put its own link in the email.
        "url": settings.SITE_URL + reverse("accounts:confirm-email", args=[make_token(user)]),
        "days": MAX_AGE.days,
    }
    return _send(user, "accounts/email/verify", context)


def _send(user: User, template: str, context: dict) -> bool:
    """Send `template`_subject.txt and _body.txt to the user; False (and a logged error) when refused."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send %s to user %s", template, user.pk)
        return False
    return True


def resend_before_login(request: HttpRequest, user: User) -> None:
    """A fresh link for an account whose owner gave the right password before confirming (throttled)."""
    if throttle.resend_verification(request, user.pk).allowed:
        send_verification_email(request, user)


def send_already_registered_email(request: HttpRequest, email: str) -> bool:
    """Tell the owner of `email` that someone tried to sign up with it; True when it went out, or was
    held back because they were told a few times already (the sign-up answer must not differ)."""
    owner = User.objects.filter(email__iexact=email).first()
    if owner is None or not throttle.signup_notice(email).allowed:
        return True
    context = {
        "user": owner,
        "site_name": settings.SITE_NAME,
        "login_url": settings.SITE_URL + reverse("accounts:login"),
        "reset_url": settings.SITE_URL + reverse("accounts:password-reset"),
    }
    return _send(owner, "accounts/email/already_registered", context)
