"""Following from the pages: plain form posts with CSRF, htmx in place, login links for strangers."""

import pytest
from django.test import Client

from accounts.services import erase_account
from articles.models import Topic
from articles.tests.conftest import build_article
from interests import services
from interests.followables import topic_key
from interests.models import Follow
from interests.tests.conftest import follow_topic

pytestmark = pytest.mark.django_db


def test_a_reader_follows_and_unfollows_a_topic_without_javascript(alice):
    build_article("Aid reaches Syria", topics=("Syria",))
    syria = Topic.objects.get(name="Syria")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(syria.get_absolute_url())
    html = page.content.decode()
    assert 'action="/follow/"' in html and 'aria-pressed="false"' in html
    token = page.cookies["csrftoken"].value
    form = {"kind": "topic", "target": str(syria.pk), "next": syria.get_absolute_url()}
    assert client.post("/follow/", form).status_code == 403, "CSRF is checked"
    response = client.post("/follow/", {**form, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == syria.get_absolute_url()
    assert Follow.objects.filter(user=alice, key=topic_key(syria.pk), topic=syria).exists()
    html = client.get(syria.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in html and "1 follower" in html
    client.post("/follow/", {**form, "undo": "1", "csrfmiddlewaretoken": token})
    assert not Follow.objects.filter(user=alice).exists()


def test_htmx_swaps_the_button_in_place(client, alice):
    build_article("Aid reaches Syria", topics=("Syria",))
    syria = Topic.objects.get(name="Syria")
    client.force_login(alice)
    response = client.post(
        "/follow/", {"kind": "topic", "target": syria.pk, "next": "/elsewhere/"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<form")
    assert 'aria-pressed="true"' in html and 'name="undo"' in html
    assert 'name="next" value="/elsewhere/"' in html
    assert f'id="followers-topic{syria.pk}" hx-swap-oob="true">1 follower<' in html, "the page's count too"


def test_following_twice_keeps_one_follow_and_unknown_targets_are_refused(client, alice):
    build_article("Aid reaches Syria", topics=("Syria",), byline="Ana Lind", source="AFP")
    syria = Topic.objects.get(name="Syria")
    client.force_login(alice)
    for _ in range(2):
        client.post("/follow/", {"kind": "topic", "target": syria.pk})
    assert Follow.objects.filter(user=alice).count() == 1
    assert client.post("/follow/", {"kind": "author", "target": "Ana Lind"}).status_code == 302
    assert client.post("/follow/", {"kind": "agency", "target": "afp"}).status_code == 302
    assert set(Follow.objects.filter(user=alice).values_list("kind", flat=True)) == {
        "topic",
        "author",
        "agency",
    }
    for bad in [{"kind": "topic", "target": "999999"}, {"kind": "author", "target": "Nobody Atall"},
                {"kind": "planet", "target": "1"}, {"kind": "topic", "target": "x"}]:  # fmt: skip
        assert client.post("/follow/", bad).status_code == 404
    assert client.get("/follow/").status_code == 405


def test_strangers_get_a_login_link_not_a_button_and_cannot_post(client):
    build_article("Aid reaches Syria", topics=("Syria",))
    syria = Topic.objects.get(name="Syria")
    html = client.get(syria.get_absolute_url()).content.decode()
    assert "Log in to follow" in html and 'action="/follow/"' not in html
    response = client.post("/follow/", {"kind": "topic", "target": syria.pk})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Follow.objects.exists()


def test_a_cached_anonymous_page_never_shows_a_readers_follow_state(client, alice):
    article = build_article("Aid reaches Syria", topics=("Syria",))
    follow_topic(alice, "Syria")
    client.force_login(alice)
    assert "Following" in client.get(article.get_absolute_url()).content.decode()
    stranger = Client()
    first = stranger.get(article.get_absolute_url())
    second = stranger.get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    for response in (first, second):
        html = response.content.decode()
        assert "Following" not in html and "Log in to follow" in html


def test_the_article_page_offers_its_topics_section_authors_agency_and_discussion(client, alice):
    article = build_article("Aid reaches Syria", topics=("Syria",), byline="Ana Lind and Tom de Vries")
    client.force_login(alice)
    html = client.get(article.get_absolute_url()).content.decode()
    for label in ["Syria", "World", "Ana Lind", "Tom de Vries", "AFP", "this discussion"]:
        assert f'<span class="follow__what"> {label}</span>' in html, label
    assert 'href="/authors/ana-lind/"' in html and 'href="/agencies/afp/"' in html
    client.post("/follow/", {"kind": "discussion", "target": article.thread.pk})
    assert Follow.objects.get(user=alice, kind="discussion").label == "Aid reaches Syria"


def test_what_you_follow_lists_everything_with_unfollow_buttons(client, alice):
    build_article("Aid reaches Syria", topics=("Syria",), byline="Ana Lind")
    follow_topic(alice, "Syria")
    client.force_login(alice)
    client.post("/follow/", {"kind": "author", "target": "Ana Lind"})
    html = client.get("/following/").content.decode()
    assert "Syria" in html and "Ana Lind" in html and html.count('aria-pressed="true"') == 2


def test_following_is_rate_limited(client, alice, settings):
    settings.FOLLOW_RATE_PER_HOUR = 3
    build_article("Aid reaches Syria", topics=("Syria",))
    syria = Topic.objects.get(name="Syria")
    client.force_login(alice)
    statuses = [
        client.post("/follow/", {"kind": "topic", "target": syria.pk, "undo": "1" if i % 2 else ""},
                    HTTP_HX_REQUEST="true").status_code
        for i in range(5)
    ]  # fmt: skip
    assert statuses == [200, 200, 200, 429, 429]


def test_author_and_agency_pages_list_their_articles(client):
    build_article("Aid reaches Syria", byline="Ana Lind", source="AFP")
    build_article("Harbour reopens", byline="Tom de Vries", source="Reuters")
    html = client.get("/authors/ana-lind/").content.decode()
    assert "Aid reaches Syria" in html and "Harbour reopens" not in html and "Ana Lind" in html
    assert "Harbour reopens" in client.get("/agencies/reuters/").content.decode()
    assert client.get("/authors/nobody/").status_code == 404


def test_a_topic_with_followers_cannot_be_deleted_only_merged(alice):
    build_article("Aid reaches Syria", topics=("Syria",))
    syria = follow_topic(alice, "Syria")
    with pytest.raises(Exception, match="protected"):
        syria.delete()
    assert services.follow(alice, services.selectors.followable_from_form("topic", str(syria.pk)))


def test_a_readers_follows_are_in_their_data_download_and_go_with_their_account(client, alice):
    build_article("Aid reaches Syria", topics=("Syria",))
    follow_topic(alice, "Syria")
    client.force_login(alice)
    data = client.get("/accounts/data.json").json()
    assert [(f["kind"], f["name"]) for f in data["follows"]] == [("topic", "Syria")]
    erase_account(alice)
    assert not Follow.objects.exists()
