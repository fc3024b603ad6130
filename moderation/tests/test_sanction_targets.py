"""Warnings, suspensions and bans of staff and moderators are for administrators only."""

import pytest

from accounts.roles import ADMINS, EDITORS, MODERATORS
from discussions.errors import CommentError
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.models import AuditEntry, Ban
from notifications.models import Notification

pytestmark = pytest.mark.django_db

ACTIONS = {
    "warn": lambda actor, user: moderation.warn(actor, user, "Tone"),
    "suspend": lambda actor, user: moderation.suspend(actor, user, "Tone", days=1),
    "ban": lambda actor, user: moderation.ban(actor, user, "Tone"),
}


@pytest.fixture
def colleague(db):
    return make_user("colleague", role=MODERATORS)


@pytest.fixture
def staff_editor(db):
    return make_user("editor", role=EDITORS, is_staff=True)


@pytest.fixture
def admin(db):
    return make_user("admin", role=ADMINS)


def nothing_recorded() -> bool:
    return not (Ban.objects.exists() or Notification.objects.exists() or AuditEntry.objects.exists())


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target", ["colleague", "staff_editor"])
def test_moderators_cannot_sanction_staff_or_other_moderators(request, moderator, action, target):
    with pytest.raises(CommentError) as refused:
        ACTIONS[action](moderator, request.getfixturevalue(target))
    assert refused.value.status == 403 and "administrators" in refused.value.message
    assert nothing_recorded()


@pytest.mark.parametrize("action", ACTIONS)
def test_administrators_can(admin, colleague, action):
    ACTIONS[action](admin, colleague)
    assert AuditEntry.objects.filter(actor=admin).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_moderators_still_sanction_readers(moderator, alice, action):
    ACTIONS[action](moderator, alice)
    assert AuditEntry.objects.filter(actor=moderator).exists()


def test_the_queue_form_says_so(client, moderator, colleague):
    client.force_login(moderator)
    response = client.post(
        f"/moderation/readers/{colleague.pk}/sanction/",
        {"action": "ban", "reason": "Tone"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 403 and "Only administrators" in response.json()["message"]
    assert nothing_recorded()
