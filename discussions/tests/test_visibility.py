"""Nothing a reader may not see is reachable: held, rejected and removed text stays out of every page and
API read, while the published replies under such a comment stay in the thread under a placeholder.

The walk requests every public URL and anonymous API read of a thread (its article page and sorts,
permalinks, reply pages, the embed's twins, feeds, the sitemap, profiles) and checks that the words of
a comment readers may not see appear nowhere.
"""

import pytest

from discussions.lifecycle import set_status
from discussions.models import Comment
from discussions.tests.conftest import make_user
from moderation import services as moderation
from moderation.models import ModerationRule
from posting import actions

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: caches and events follow them

SECRET = "zebracorn"  # a word that appears only in the text readers may not see
ABUSE = f"You are all morons, {SECRET}."


@pytest.fixture
def suspect_rule(db):
    return ModerationRule.objects.create(phrase="morons", kind=ModerationRule.Kind.SUSPECT)


@pytest.fixture
def maria(db):
    return make_user("maria", display_name="Maria")


@pytest.fixture
def tomas(db):
    return make_user("tomas", display_name="Tomas")


@pytest.fixture
def mod(db):
    from accounts.roles import MODERATORS

    return make_user("mod", role=MODERATORS)


@pytest.fixture
def conversation(thread, maria, tomas, alice, suspect_rule):
    """Maria's comment, Tomas's reply, Alice's reply to Tomas, then Maria edits hers into abuse (held)."""
    root = actions.post_comment(maria, thread, "The talks could work if both sides compromise.")
    reply = actions.post_comment(tomas, thread, "I doubt it, but I hope so.", parent=root)
    deeper = actions.post_comment(alice, thread, "Hope is a start.", parent=reply)
    actions.edit_comment(maria, root, ABUSE)
    root.refresh_from_db()
    assert root.status == Comment.Status.HELD
    return root, reply, deeper


def public_urls(article, thread, comments):
    urls = [
        article.get_absolute_url(),
        article.get_absolute_url() + "?sort=oldest",
        article.get_absolute_url() + "?sort=reacted",
        "/",
        "/feeds/latest.rss",
        "/feeds/latest.atom",
        "/sitemap.xml",
        f"/api/v1/threads/{thread.pk}",
        f"/api/v1/articles/{article.slug}/thread",
        f"/api/v1/threads/{thread.pk}/comments",
        f"/api/v1/threads/{thread.pk}/comments?sort=oldest",
        f"/api/v1/threads/{thread.pk}/comments?replies=100",
    ]
    for comment in comments:
        urls += [
            f"/discussions/comments/{comment.pk}/",
            f"/discussions/comments/{comment.pk}/replies/",
            f"/api/v1/comments/{comment.pk}",
            f"/api/v1/comments/{comment.pk}/replies",
        ]
        if comment.author is not None:
            urls.append(f"/accounts/people/{comment.author.username}/")
    return urls


def assert_nowhere(client, urls, secret=SECRET):
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert secret not in body.decode(), f"hidden text on {url}"


def test_held_text_of_an_edited_parent_is_on_no_public_page(client, article, thread, conversation):
    assert_nowhere(client, public_urls(article, thread, conversation))


def test_rejected_or_removed_text_is_on_no_public_page(client, article, thread, conversation, mod):
    root, reply, deeper = conversation
    moderation.reject(mod, root, "Insults other readers.")
    assert_nowhere(client, public_urls(article, thread, conversation))
    # A published comment a moderator removes: its words leave every page too.
    moderation.remove(mod, reply, "Off topic.")
    assert_nowhere(client, public_urls(article, thread, conversation), secret="I doubt it")


def test_other_readers_do_not_see_held_text_but_its_author_does(client, article, thread, conversation, bob):
    root, _, _ = conversation
    client.force_login(bob)
    assert_nowhere(client, public_urls(article, thread, conversation))
    client.force_login(root.author)
    page = client.get(article.get_absolute_url()).content.decode()
    assert SECRET in page and "Awaiting review" in page


def test_published_replies_stay_under_a_held_parent_with_a_placeholder(client, article, thread, conversation):
    root, reply, deeper = conversation
    page = client.get(article.get_absolute_url()).content.decode()
    assert "This comment is awaiting review" in page
    assert "I doubt it, but I hope so." in page and "Hope is a start." in page
    # Counts match what is shown: the held comment is not counted, its two published replies are.
    thread.refresh_from_db()
    assert thread.comment_count == 2 and "2 comments" in page
    api = client.get(f"/api/v1/threads/{thread.pk}/comments").json()
    [node] = api["comments"]
    assert node["id"] == root.pk and node["status"] == "held" and node["body_html"] == ""
    assert node["author"] is None
    assert [r["id"] for r in node["replies"]] == [reply.pk, deeper.pk]


def test_published_replies_stay_after_the_held_parent_is_rejected(client, article, thread, conversation, mod):
    root, reply, deeper = conversation
    moderation.reject(mod, root, "Insults other readers.")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "I doubt it, but I hope so." in page and "Hope is a start." in page
    assert "[removed]" in page
    permalink = client.get(f"/discussions/comments/{reply.pk}/").content.decode()
    assert "I doubt it, but I hope so." in permalink and "[removed]" in permalink


def test_a_held_reply_in_the_middle_keeps_the_published_reply_under_it(
    client, article, thread, maria, tomas, alice, suspect_rule
):
    root = actions.post_comment(maria, thread, "First.")
    middle = actions.post_comment(tomas, thread, "A reply that will change.", parent=root)
    actions.post_comment(alice, thread, "An answer to Tomas.", parent=middle)
    actions.edit_comment(tomas, middle, ABUSE)
    root.refresh_from_db()
    assert root.reply_count == 1
    page = client.get(article.get_absolute_url()).content.decode()
    assert "An answer to Tomas." in page and "This comment is awaiting review" in page
    assert SECRET not in page
    api = client.get(f"/api/v1/comments/{root.pk}/replies").json()
    assert [r["body_html"] != "" for r in api["replies"]] == [False, True]


def test_a_held_reply_without_published_replies_is_not_shown_at_all(client, article, thread, maria, tomas):
    root = actions.post_comment(maria, thread, "First.")
    held = actions.post_comment(tomas, thread, "Quiet reply.", parent=root)
    set_status(held, Comment.Status.HELD)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "awaiting review" not in page and "Quiet reply." not in page


def test_the_edit_queue_shows_the_text_before_and_after_and_the_replies_under_it(
    client, thread, conversation, mod
):
    root, reply, deeper = conversation
    client.force_login(mod)
    page = client.get("/moderation/queue/pending/").content.decode()
    assert "The talks could work if both sides compromise." in page  # before the edit
    assert "morons" in page  # after
    assert "2 published replies" in page


def test_a_moderator_approving_the_edit_restores_it_with_its_replies(
    client, article, thread, conversation, mod
):
    root, reply, deeper = conversation
    moderation.approve(mod, root)
    thread.refresh_from_db()
    root.refresh_from_db()
    assert thread.comment_count == 3 and root.reply_count == 2
    assert SECRET in client.get(article.get_absolute_url()).content.decode()


def test_edits_of_replies_keep_the_counts_of_every_comment_above(thread, maria, tomas, alice, suspect_rule):
    root = actions.post_comment(maria, thread, "First.")
    middle = actions.post_comment(tomas, thread, "Middle.", parent=root)
    leaf = actions.post_comment(alice, thread, "Leaf.", parent=middle)
    middle.refresh_from_db()
    root.refresh_from_db()
    assert (root.reply_count, middle.reply_count) == (2, 1)
    actions.edit_comment(alice, leaf, ABUSE)
    middle.refresh_from_db()
    root.refresh_from_db()
    assert (root.reply_count, middle.reply_count) == (1, 0)
