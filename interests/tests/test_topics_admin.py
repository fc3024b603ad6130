"""Editors curate topics in the admin: a merge keeps followers; renames and merges are audited."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from articles.models import Topic, TopicAlias
from articles.tests.conftest import build_article
from interests import selectors, services
from interests.followables import topic_key
from interests.models import ArticleInterest, Follow
from interests.tests.conftest import follow_topic
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_merging_topics_in_the_admin_keeps_every_follower(client, editor, alice, bob):
    old_story = build_article("Quay talks", topics=("Harbour works",))
    new_story = build_article("Quay reopens", topics=("Port Alder harbour works",))
    works = follow_topic(alice, "Harbour works")
    whole = follow_topic(bob, "Port Alder harbour works")
    follow_topic(bob, "Harbour works")  # bob followed both: keeps one follow
    client.force_login(editor)
    changelist = "/admin/articles/topic/"
    form = {"action": "merge_topics", "_selected_action": [works.pk, whole.pk]}
    assert "Keep this topic" in client.post(changelist, form).content.decode()
    response = client.post(changelist, {**form, "apply": "1", "target": whole.pk})
    assert response.status_code == 302
    assert set(Follow.objects.filter(key=topic_key(whole.pk)).values_list("user__username", flat=True)) == {
        "alice",
        "bob",
    }
    assert not Follow.objects.filter(key=topic_key(works.pk)).exists()
    assert Follow.objects.get(user=alice).label == "Port Alder harbour works"
    assert ArticleInterest.objects.filter(key=topic_key(whole.pk), article=old_story).exists()
    assert sorted(f.user_id for f in selectors.followers_of(old_story)) == sorted([alice.pk, bob.pk])
    assert whole in new_story.topics.all() and whole in old_story.topics.all()
    entry = AuditEntry.objects.get(action="merge_topic")
    assert (entry.actor, entry.details["merged"], entry.details["followers_moved"]) == (
        editor,
        "Harbour works",
        1,
    )


def test_renaming_in_the_admin_keeps_an_alias_updates_followers_and_is_audited(client, editor, alice):
    build_article("Basin water", topics=("Tessaly basin",))
    topic = follow_topic(alice, "Tessaly basin")
    client.force_login(editor)
    data = {
        "name": "Tessaly Basin",
        "kind": "place",
        "aliases-TOTAL_FORMS": 0,
        "aliases-INITIAL_FORMS": 0,
    }
    response = client.post(f"/admin/articles/topic/{topic.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    topic.refresh_from_db()
    assert (topic.name, topic.kind) == ("Tessaly Basin", "place")
    assert Follow.objects.get(user=alice).label == "Tessaly Basin"
    assert AuditEntry.objects.get(action="rename_topic").details["old_name"] == "Tessaly basin"
    assert TopicAlias.objects.filter(topic=topic).count() == 0, "same key: no alias needed"


def test_an_alias_that_names_another_topic_is_refused(client, editor):
    Topic.objects.create(name="Syria", slug="syria")
    idlib = Topic.objects.create(name="Idlib", slug="idlib", kind="place")
    client.force_login(editor)
    data = {
        "name": "Idlib",
        "kind": "place",
        "aliases-TOTAL_FORMS": 1,
        "aliases-INITIAL_FORMS": 0,
        "aliases-0-name": "Syria",
    }
    response = client.post(f"/admin/articles/topic/{idlib.pk}/change/", data)
    assert response.status_code == 200 and "merge it into this one instead" in response.content.decode()
    assert not TopicAlias.objects.exists()


def test_merge_service_refuses_a_target_that_was_itself_merged(editor):
    a, b, c = (Topic.objects.create(name=n, slug=n.lower()) for n in ["A", "B", "C"])
    services.merge_topics(editor, [a], b)
    with pytest.raises(ValueError):
        services.merge_topics(editor, [c], a)
