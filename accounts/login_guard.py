"""Guessing one account's password from many addresses: the per-account login limit.

accounts.throttle limits logins per address (and per address and username), which a guesser
with many addresses walks around.  Here failed logins are counted per account, from whatever
address, in three windows (ACCOUNT_RULES).  One failure more than a window allows *guards* the
account until that window ends: from then on, logins to it are refused (429, before the password
is checked, so a refusal tells nothing) from every address that has not logged in to it before.

* The waits grow while the guessing goes on: each longer window that fills takes over (15
  minutes, then the rest of the hour, then of the day).  Refused attempts are not counted, so
  they cannot prolong a pause.
* The owner is never locked out for good: from an address they have logged in from
  (remembered for KNOWN_ADDRESS_DAYS) they get in as usual, and a password reset ends the pause
  at once, for every address: the counts and the guard are keyed by a fingerprint of the
  password hash, which a new password changes.
* The owner is told by email the first time the account is guarded in a window, with how to end it.

Counting goes through agora.ratelimit (shared by every app process); the guard and the known
addresses are cache entries, so a cache that loses them errs towards letting people in.
"""

import logging
import math
import smtplib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac

from accounts import throttle
from accounts.models import User
from agora.ratelimit import Verdict, client_ip

logger = logging.getLogger(__name__)

ACCOUNT_RULES = (
    throttle.Rule("login-account-15m", limit=20, period=15 * 60),
    throttle.Rule("login-account-1h", limit=50, period=60 * 60),
    throttle.Rule("login-account-1d", limit=100, period=24 * 60 * 60),
)
KNOWN_ADDRESS_DAYS = 90
ALLOWED = Verdict(True, 0)


def _account(username: str) -> User | None:
    """The account a login names, looked up as Django's ModelBackend does (exact username)."""
    return User._default_manager.filter(username=username).first() if username else None


def _account_key(user: User) -> str:
    """Changes with the password, so a reset starts the counts (and ends the guard) afresh."""
    fingerprint = salted_hmac("accounts.login_guard", user.password).hexdigest()[:16]
    return f"{user.pk}:{fingerprint}"


def _guard_key(user: User) -> str:
    return f"login-guard:until:{_account_key(user)}"


def _known_key(user: User, request: HttpRequest) -> str:
    return f"login-guard:known:{user.pk}:{throttle.digest(client_ip(request))}"


def check(request: HttpRequest, username: str) -> Verdict:
    """Refused while the account is guarded, unless the request comes from an address it logs in from."""
    user = _account(username)
    if user is None:
        return ALLOWED
    until = cache.get(_guard_key(user))
    if until is None or cache.get(_known_key(user, request)):
        return ALLOWED
    return Verdict(False, max(1, math.ceil(until - time.time())))


def failed(request: HttpRequest, username: str) -> None:
    """Count a wrong password for the account; guard it (and tell its owner) once a window is over."""
    user = _account(username)
    if user is None:
        return
    key = _account_key(user)
    verdict = throttle.check(*[(rule, key) for rule in ACCOUNT_RULES])
    if verdict.allowed:
        return
    cache.set(_guard_key(user), time.time() + verdict.retry_after, timeout=verdict.retry_after)
    if cache.add(f"login-guard:told:{key}", True, timeout=verdict.retry_after):
        _tell_owner(user, verdict)


def succeeded(request: HttpRequest, user: User) -> None:
    """Remember the address: its owner gets in from it even while the account is guarded."""
    cache.set(_known_key(user, request), True, timeout=KNOWN_ADDRESS_DAYS * 24 * 60 * 60)


def refusal_message(verdict: Verdict) -> str:
    minutes = throttle.minutes_left(verdict)
    return (
        "There have been too many failed attempts to log in to this account, so logging in to it is "
        f"paused for {minutes} minute{'' if minutes == 1 else 's'} here. You can log in from a device "
        "you have used before, or reset your password to end the pause now."
    )


def _tell_owner(user: User, verdict: Verdict) -> None:
    if not user.email:
        return
    context = {
        "user": user,
        "site_name": settings.SITE_NAME,
        "minutes": throttle.minutes_left(verdict),
        "reset_url": settings.SITE_URL + reverse("accounts:password-reset"),
    }
    subject = " ".join(render_to_string("accounts/email/login_guard_subject.txt", context).split())
    body = render_to_string("accounts/email/login_guard_body.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not tell user %s about failed logins", user.pk)
