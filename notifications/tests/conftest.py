"""Notification test helpers: a real SMTP server on loopback (aiosmtpd), and running after-commit work."""

import email
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from accounts.roles import MODERATORS
from discussions.tests.conftest import make_user
from notifications.models import Notification


class Mailbox:
    """What the SMTP server received; `fail_next` answers the next N messages 451 (try again later),
    `refuse` answers 550 for these addresses."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.fail_next = 0
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 Mail server busy, try again later"
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """Django sends through a real SMTP server on loopback for the test."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    yield mailbox
    controller.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block queues after commit (the notification tasks), as a real
    commit would; tasks run eagerly in tests."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def carol(db):
    return make_user("carol")


@pytest.fixture
def moderator(db):
    return make_user("mod", role=MODERATORS)


def notes(user, kind: str | None = None) -> list[Notification]:
    found = Notification.objects.filter(recipient=user).order_by("id")
    return list(found.filter(kind=kind) if kind else found)
