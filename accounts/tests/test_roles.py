"""Roles as groups: created after migrate, idempotent, additive, and what each one may do."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal

from accounts import roles
from articles.signals import EDITORS_GROUP, ensure_editors_group
from discussions.errors import CommentError
from discussions.tests.conftest import make_user
from moderation import services as featuring
from posting import actions

pytestmark = pytest.mark.django_db


def perms_of(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_migrate_created_every_role():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Readers",
        "Commenters",
        "Moderators",
        "Editors",
        "Admins",
    }
    assert perms_of("Readers") == set()
    assert perms_of("Commenters") == {"discussions.add_comment", "discussions.add_reaction"}
    assert {"discussions.change_comment", "discussions.feature_comment", "discussions.view_comment"} <= (
        perms_of("Moderators")
    )
    assert "discussions.delete_comment" not in perms_of("Moderators")
    assert perms_of("Admins") == {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def test_editors_keep_the_article_permissions_and_gain_featuring():
    editors = perms_of(EDITORS_GROUP)
    assert "discussions.feature_comment" in editors
    assert {"articles.add_article", "articles.change_article", "articles.change_topic"} <= editors
    assert Group.objects.filter(name=EDITORS_GROUP).count() == 1


def test_running_again_changes_nothing_and_removes_nothing():
    moderators = Group.objects.get(name="Moderators")
    extra = Permission.objects.get(content_type__app_label="discussions", codename="delete_comment")
    moderators.permissions.add(extra)  # granted by hand in the admin
    before = {name: perms_of(name) for name in roles.ROLE_PERMISSIONS}
    roles.ensure_roles()
    ensure_editors_group()
    roles.ensure_roles()
    assert {name: perms_of(name) for name in roles.ROLE_PERMISSIONS} == before
    assert Group.objects.filter(name__in=list(roles.ROLE_PERMISSIONS)).count() == len(roles.ROLE_PERMISSIONS)


def test_the_post_migrate_handler_recreates_missing_roles():
    Group.objects.filter(name__in=["Commenters", "Moderators"]).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert perms_of("Commenters") == {"discussions.add_comment", "discussions.add_reaction"}
    assert "discussions.feature_comment" in perms_of("Moderators")


def test_moderators_and_editors_can_feature_readers_cannot(thread):
    author = make_user("author")
    comment = actions.post_comment(author, thread, "Worth reading.")
    moderator = make_user("mod")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    editor = make_user("ed")
    editor.groups.add(Group.objects.get(name="Editors"))
    reader = make_user("reader")
    reader.groups.add(Group.objects.get(name="Commenters"))

    featuring.set_featured(moderator, comment, True)
    featuring.set_featured(editor, comment, False)
    with pytest.raises(CommentError):
        featuring.set_featured(reader, comment, True)
    assert reader.has_perm("discussions.add_comment")
    assert not reader.has_perm("discussions.change_comment")


def test_new_signups_join_commenters(client):
    client.post(
        "/accounts/signup/",
        {
            "username": "erin",
            "email": "erin@example.org",
            "password1": "correct-horse-battery-9",
            "password2": "correct-horse-battery-9",
        },
    )
    erin = Group.objects.get(name="Commenters").user_set.get()
    assert erin.username == "erin"
    assert erin.has_perm("discussions.add_comment") and not erin.is_staff
