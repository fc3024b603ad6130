"""The admin: rules and policies are editable (and audited); decisions, reports and bans are read-only."""

import pytest

from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.models import AuditEntry, ModerationPolicy, ModerationRule
from posting import actions

pytestmark = pytest.mark.django_db

PAGES = [
    "moderationrule",
    "moderationpolicy",
    "moderationdecision",
    "report",
    "usertrust",
    "ban",
]


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def test_every_page_opens(admin_client, alice, bob, thread, moderator):
    comment = actions.post_comment(bob, thread, "Something to report.")
    moderation.report(alice, comment, "spam")
    moderation.warn(moderator, bob, "Mind the tone.")
    moderation.suspend(moderator, bob, "Cool down.", days=1)
    for page in PAGES:
        assert admin_client.get(f"/admin/moderation/{page}/").status_code == 200, page
    assert admin_client.get("/admin/moderation/moderationrule/add/").status_code == 200
    assert admin_client.get("/admin/moderation/moderationpolicy/add/").status_code == 200
    for page in PAGES[2:]:
        assert admin_client.get(f"/admin/moderation/{page}/add/").status_code == 403, page


def test_adding_a_rule_in_the_admin_is_audited_and_applies(admin_client, alice, thread):
    response = admin_client.post(
        "/admin/moderation/moderationrule/add/",
        {"phrase": "numpty", "kind": "suspect", "is_active": "on", "note": "Local insult"},
    )
    assert response.status_code == 302
    rule = ModerationRule.objects.get(phrase="numpty")
    assert AuditEntry.objects.get(action="add_rule").target_id == str(rule.pk)
    assert actions.post_comment(alice, thread, "What a NUMPTY.").status == "held"


def test_adding_a_policy_in_the_admin(admin_client, article):
    response = admin_client.post(
        "/admin/moderation/moderationpolicy/add/",
        {"section": article.section_id, "hold_threshold": "0.3", "reject_threshold": "", "note": ""},
    )
    assert response.status_code == 302
    assert ModerationPolicy.objects.get().hold_threshold == 0.3
    assert AuditEntry.objects.filter(action="add_moderation_policy").count() == 1
