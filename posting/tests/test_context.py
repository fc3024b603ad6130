"""The post's context reads permissions from a snapshot of the groups: a change to a group's
permissions, or to a reader's own, takes effect on the next post."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import COMMENTERS, READERS
from discussions.errors import CommentError
from discussions.tests.conftest import make_user
from moderation import context
from moderation.decisions import Trigger
from moderation.models import Ban
from posting import actions


def add_comment() -> Permission:
    return Permission.objects.get(content_type__app_label="discussions", codename="add_comment")


@pytest.mark.django_db
def test_taking_the_permission_from_the_group_refuses_the_next_post(thread):
    alice = make_user("alice-ctx")
    actions.post_comment(alice, thread, "Before the change of roles.")
    commenters = Group.objects.get(name=COMMENTERS)
    commenters.permissions.remove(add_comment())
    with pytest.raises(CommentError) as refused:
        actions.post_comment(alice, thread, "After the change of roles.")
    assert refused.value.code == "not_a_commenter"
    commenters.permissions.add(add_comment())
    assert actions.post_comment(alice, thread, "Given back the permission.").pk


@pytest.mark.django_db
def test_a_permission_of_the_readers_own_counts(thread):
    reader = make_user("reader-ctx", role=READERS)
    assert not context.load(reader, thread, Trigger.POST).author.may_comment
    reader.user_permissions.add(add_comment())
    loaded = context.load(reader, thread, Trigger.POST)
    assert loaded.author.may_comment and not loaded.author.moderates


@pytest.mark.django_db
def test_the_strongest_ban_in_force_only(thread):
    user = make_user("banned-ctx")
    Ban.objects.create(user=user, reason="Lifted long ago", lifted_at="2020-01-01T00:00:00Z")
    assert context.load(user, thread, Trigger.POST).author.ban is None
    ban = Ban.objects.create(user=user, reason="Abuse")
    assert context.load(user, thread, Trigger.POST).author.ban == ban
