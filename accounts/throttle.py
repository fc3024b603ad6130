"""Rate limits on the account endpoints a stranger (or a stolen session) can hammer.

All counting goes through `agora.ratelimit.hit`, so every app process shares the same
counters.  Usernames and email addresses are hashed into the cache key: they can hold
characters a cache backend refuses, and the cache need not hold them in clear.
"""

import hashlib
import math
from dataclasses import dataclass

from django.http import HttpRequest

from agora.ratelimit import Verdict, client_ip, hit


@dataclass(frozen=True)
class Rule:
    scope: str
    limit: int
    period: int  # seconds


# Logins: a guessing run against one account from one address, and any run from one address.
LOGIN_PER_USERNAME = Rule("login-user", limit=10, period=5 * 60)
LOGIN_PER_IP = Rule("login-ip", limit=50, period=5 * 60)
# Sign-up attempts (also slows probing which addresses already have an account).
SIGNUP_PER_IP = Rule("signup-ip", limit=10, period=60 * 60)
# "Someone tried to sign up with your address" emails, per address: nobody can flood an inbox.
SIGNUP_NOTICE_PER_EMAIL = Rule("signup-notice-email", limit=3, period=60 * 60)
# Password reset requests: per address, and per mailbox so nobody can flood someone's inbox.
RESET_PER_IP = Rule("reset-ip", limit=10, period=60 * 60)
RESET_PER_EMAIL = Rule("reset-email", limit=3, period=60 * 60)
# "Send the confirmation link again".
RESEND_PER_USER = Rule("verify-resend-user", limit=3, period=60 * 60)
RESEND_PER_IP = Rule("verify-resend-ip", limit=10, period=60 * 60)
# Password checks on the erase-your-account page (a stolen session must not brute-force it).
ERASE_PER_USER = Rule("erase-user", limit=5, period=15 * 60)


def digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _combine(verdicts: list[Verdict]) -> Verdict:
    refused = [v for v in verdicts if not v.allowed]
    if not refused:
        return Verdict(True, 0)
    return Verdict(False, max(v.retry_after for v in refused))


def check(*hits: tuple[Rule, str]) -> Verdict:
    """Count one hit on every (rule, key); refused if any rule is over its limit."""
    return _combine([hit(rule.scope, key, rule.limit, rule.period) for rule, key in hits])


def login_attempt(request: HttpRequest, username: str) -> Verdict:
    ip = client_ip(request)
    return check((LOGIN_PER_USERNAME, f"{ip}:{digest(username)}"), (LOGIN_PER_IP, ip))


def signup_attempt(request: HttpRequest) -> Verdict:
    return check((SIGNUP_PER_IP, client_ip(request)))


def signup_notice(email: str) -> Verdict:
    return check((SIGNUP_NOTICE_PER_EMAIL, digest(email)))


def reset_request(request: HttpRequest, email: str) -> Verdict:
    return check((RESET_PER_IP, client_ip(request)), (RESET_PER_EMAIL, digest(email)))


def resend_verification(request: HttpRequest, user_id: int) -> Verdict:
    return check((RESEND_PER_USER, str(user_id)), (RESEND_PER_IP, client_ip(request)))


def erase_attempt(user_id: int) -> Verdict:
    return check((ERASE_PER_USER, str(user_id)))


def minutes_left(verdict: Verdict) -> int:
    return max(1, math.ceil(verdict.retry_after / 60))


def too_many_message(verdict: Verdict) -> str:
    minutes = minutes_left(verdict)
    return f"Too many attempts, try again in {minutes} minute{'' if minutes == 1 else 's'}."
