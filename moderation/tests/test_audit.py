import pytest

from articles.tests.conftest import build_article
from moderation import audit
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_entries_are_append_only(admin_user):
    article = build_article()
    entry = audit.record(admin_user, "close_commenting", article, reason="Legal advice")
    assert (entry.actor_name, entry.target_type, entry.reason) == (
        "admin",
        "articles.article",
        "Legal advice",
    )
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(reason="gone")
    assert AuditEntry.objects.get().reason == "Legal advice"


def test_system_actions_have_no_actor():
    entry = audit.record(None, "heat_guard_on", build_article())
    assert entry.actor is None and entry.actor_name == "system"


def test_erasing_an_actor_keeps_the_entry_and_the_name(django_user_model):
    editor = django_user_model.objects.create_user("ed", password="a-long-test-password-1")
    audit.record(editor, "feature_comment", build_article())
    editor.delete()
    entry = AuditEntry.objects.get()
    assert entry.actor is None and entry.actor_name == "ed"
