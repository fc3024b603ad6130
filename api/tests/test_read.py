"""Reading threads and comments: shapes, visibility, and cursors that return every comment once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.conftest import API, closed_article, error_of, token_client
from articles.models import Article
from articles.tests.conftest import build_article
from discussions import selectors, services
from discussions.lifecycle import set_status
from discussions.models import Comment, Thread
from discussions.tests.conftest import bulk_thread, make_user
from posting import actions

pytestmark = pytest.mark.django_db


# --- Threads --------------------------------------------------------------------------------------------


def test_threads_list_pages_through_every_visible_thread_once(anon, alice):
    threads = [services.thread_for_article(build_article(f"Story {i}")) for i in range(5)]
    actions.post_comment(alice, threads[0], "First!")
    embedded = Thread.objects.create(url="https://publisher.example/story", title="Publisher story")
    draft = services.thread_for_article(build_article("Not yet", status=Article.Status.DRAFT))
    scheduled = services.thread_for_article(build_article("Tomorrow", hours_ago=-24))

    seen, cursor = [], None
    while True:
        response = anon.get(f"{API}/threads", {"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        body = response.json()
        assert len(body["threads"]) <= 2
        seen += body["threads"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    ids = [t["id"] for t in seen]
    assert sorted(ids) == sorted([t.pk for t in threads] + [embedded.pk])
    assert len(ids) == len(set(ids))
    assert draft.pk not in ids and scheduled.pk not in ids
    first = next(t for t in seen if t["id"] == threads[0].pk)
    assert first["comment_count"] == 1
    assert first["article"]["headline"] == "Story 0"
    assert first["article"]["url"] == "http://testserver" + threads[0].article.get_absolute_url()
    assert first["commenting"] == {"open": True, "reason": ""}
    outside = next(t for t in seen if t["id"] == embedded.pk)
    assert outside["article"] is None and outside["embed_url"] == "https://publisher.example/story"


@pytest.mark.parametrize("query", [{"cursor": "abc"}, {"limit": 0}, {"limit": 101}, {"limit": "x"}])
def test_threads_list_rejects_bad_paging(anon, query):
    response = anon.get(f"{API}/threads", query)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid" and error["details"]


def test_thread_by_id_and_by_article_slug(anon, thread, article):
    by_id = anon.get(f"{API}/threads/{thread.pk}").json()
    by_slug = anon.get(f"{API}/articles/{article.slug}/thread").json()
    assert by_id == by_slug
    assert by_id["article"]["slug"] == article.slug
    assert by_id["title"] == "Harbour talks resume"


def test_article_thread_is_made_on_first_read(anon):
    article = build_article("No comments yet")
    response = anon.get(f"{API}/articles/{article.slug}/thread/comments")
    assert response.status_code == 200
    assert response.json()["comments"] == []
    assert Thread.objects.filter(article=article).exists()


def test_missing_and_unpublished_threads_are_404(anon):
    draft = build_article("Draft story", status=Article.Status.DRAFT)
    draft_thread = services.thread_for_article(draft)
    cases = [
        (f"{API}/threads/999999", "thread_not_found"),
        (f"{API}/threads/{draft_thread.pk}", "thread_not_found"),
        (f"{API}/threads/{draft_thread.pk}/comments", "thread_not_found"),
        (f"{API}/articles/no-such-story/thread", "article_not_found"),
        (f"{API}/articles/{draft.slug}/thread/comments", "article_not_found"),
    ]
    for url, code in cases:
        response = anon.get(url)
        assert response.status_code == 404, url
        assert error_of(response)["code"] == code


def test_closed_article_thread_says_why(anon):
    article = closed_article()
    body = anon.get(f"{API}/articles/{article.slug}/thread").json()
    assert body["commenting"]["open"] is False
    assert "closed" in body["commenting"]["reason"]


# --- A thread's comments --------------------------------------------------------------------------------


def test_comment_page_shape_with_replies_tombstones_and_own_reactions(as_bob, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root **comment**")
    replies = [actions.post_comment(bob, thread, f"Reply {i}", root) for i in range(5)]
    gone = actions.post_comment(alice, thread, "Regretted")
    actions.post_comment(bob, thread, "Answer to the regretted one", gone)
    actions.delete_own_comment(alice, gone)
    services.react(bob, root)

    body = as_bob.get(f"{API}/threads/{thread.pk}/comments", {"sort": "oldest"}).json()
    assert body["sort"] == "oldest" and body["next_cursor"] is None and body["featured"] == []
    first, tomb = body["comments"]
    assert first["id"] == root.pk
    assert first["author"] == {
        "username": "alice",
        "display_name": "Alice Martin",
        "initials": "AM",
        "badge": "",
    }
    assert first["body_html"] == "<p>Root <strong>comment</strong></p>"
    assert first["body"] is None and first["is_own"] is False
    assert first["status"] == "published" and first["depth"] == 0 and first["parent_id"] is None
    assert first["reaction_count"] == 1 and first["reacted"] is True
    assert first["reply_count"] == 5
    assert [r["id"] for r in first["replies"]] == [r.pk for r in replies[: selectors.REPLIES_PER_ROOT]]
    assert first["replies"][0]["is_own"] is True and first["replies"][0]["body"] == "Reply 0"
    assert first["replies"][0]["root_id"] == root.pk and first["replies"][0]["parent_id"] == root.pk
    assert first["more_replies"] == 2 and first["replies_cursor"]
    assert first["url"].endswith(f"/discussions/comments/{root.pk}/#c{root.pk}")
    # A deleted comment with a live reply stays as a tombstone: no author, no text.
    assert tomb["id"] == gone.pk and tomb["status"] == "deleted"
    assert tomb["author"] is None and tomb["body_html"] == "" and tomb["body"] is None
    assert len(tomb["replies"]) == 1 and tomb["replies_cursor"] is None


def test_more_replies_follow_the_cursor(anon, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    replies = [actions.post_comment(bob, thread, f"Reply {i}", root) for i in range(25)]
    page = anon.get(f"{API}/threads/{thread.pk}/comments").json()["comments"][0]
    shown = [r["id"] for r in page["replies"]]
    cursor = page["replies_cursor"]
    while cursor:
        more = anon.get(f"{API}/comments/{root.pk}/replies", {"cursor": cursor}).json()
        assert more["root_id"] == root.pk
        shown += [r["id"] for r in more["replies"]]
        cursor = more["next_cursor"]
    assert shown == [r.pk for r in replies]


def test_replies_of_a_reply_or_a_missing_comment_are_refused(anon, alice, thread):
    root = actions.post_comment(alice, thread, "Root")
    reply = actions.post_comment(alice, thread, "Reply", root)
    response = anon.get(f"{API}/comments/{reply.pk}/replies")
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_root"
    assert anon.get(f"{API}/comments/999999/replies").status_code == 404


def test_bad_sort_is_a_validation_error(anon, thread):
    response = anon.get(f"{API}/threads/{thread.pk}/comments", {"sort": "loudest"})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["loc"] == ["query", "sort"]


def test_featured_comments_lead_the_first_page_only(anon, alice, thread):
    bulk_thread(thread, alice, roots=25)
    pick = Comment.objects.filter(thread=thread).first()
    Comment.objects.filter(pk=pick.pk).update(is_featured=True)
    first = anon.get(f"{API}/threads/{thread.pk}/comments").json()
    assert [c["id"] for c in first["featured"]] == [pick.pk]
    assert first["featured"][0]["is_featured"] is True
    second = anon.get(f"{API}/threads/{thread.pk}/comments", {"cursor": first["next_cursor"]}).json()
    assert second["featured"] == []


def _every_comment(
    client, thread, sort: str, limit: int | None = None, replies: int | None = None
) -> list[int]:
    ids, cursor = [], None
    size = {"limit": limit} if limit else {}
    shown = {"replies": replies} if replies else {}
    while True:
        query = {"sort": sort, **size, **shown, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/threads/{thread.pk}/comments", query).json()
        assert len(page["comments"]) <= (limit or selectors.PAGE_SIZE)
        for node in page["comments"]:
            assert len(node["replies"]) <= (replies or selectors.REPLIES_PER_ROOT)
            ids.append(node["id"])
            ids += [r["id"] for r in node["replies"]]
            replies_cursor = node["replies_cursor"]
            while replies_cursor:
                more = client.get(
                    f"{API}/comments/{node['id']}/replies", {"cursor": replies_cursor, **size}
                ).json()
                assert len(more["replies"]) <= (limit or selectors.REPLIES_PAGE_SIZE)
                ids += [r["id"] for r in more["replies"]]
                replies_cursor = more["next_cursor"]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize(
    ("sort", "limit", "replies"),
    [
        ("newest", None, None),
        ("oldest", None, None),
        ("reacted", None, None),
        ("newest", 9, 1),
        ("oldest", 100, 30),
    ],
)
def test_paging_a_thread_returns_every_comment_exactly_once(anon, alice, thread, sort, limit, replies):
    bulk_thread(thread, alice, roots=47, replies_per_root=24)
    roots = list(Comment.objects.filter(thread=thread, depth=0).order_by("id"))
    # Ties on every sort key: equal timestamps and equal reaction counts, broken by id.
    same_time = timezone.now() - timedelta(hours=2)
    Comment.objects.filter(pk__in=[r.pk for r in roots[10:30]]).update(created_at=same_time)
    for i, root in enumerate(roots):
        Comment.objects.filter(pk=root.pk).update(reaction_count=i % 4)
    ids = _every_comment(anon, thread, sort, limit, replies)
    expected = set(
        Comment.objects.filter(thread=thread, status=Comment.Status.PUBLISHED).values_list("id", flat=True)
    )
    assert len(ids) == len(expected) == 47 * 25
    assert set(ids) == expected


def test_comment_page_costs_a_fixed_number_of_queries(anon, alice, thread, django_assert_max_num_queries):
    bulk_thread(thread, alice, roots=40, replies_per_root=6)
    with django_assert_max_num_queries(8):
        response = anon.get(f"{API}/threads/{thread.pk}/comments")
    assert len(response.json()["comments"]) == selectors.PAGE_SIZE
    with django_assert_max_num_queries(8):
        response = anon.get(f"{API}/threads/{thread.pk}/comments", {"limit": 100})
    assert len(response.json()["comments"]) == 40


@pytest.mark.parametrize("value", [0, 101, "x"])
def test_page_sizes_outside_1_to_100_are_refused(anon, alice, thread, value):
    root = actions.post_comment(alice, thread, "Root")
    asked = [
        (f"{API}/threads/{thread.pk}/comments", "limit"),
        (f"{API}/threads/{thread.pk}/comments", "replies"),
        (f"{API}/comments/{root.pk}/replies", "limit"),
    ]
    for path, name in asked:
        response = anon.get(path, {name: value})
        assert response.status_code == 422
        assert error_of(response)["details"][0]["loc"] == ["query", name]


def test_more_replies_under_each_comment_on_request(anon, alice, bob, thread):
    root = actions.post_comment(alice, thread, "Root")
    replies = [actions.post_comment(bob, thread, f"Reply {i}", root) for i in range(7)]
    node = anon.get(f"{API}/threads/{thread.pk}/comments", {"replies": 5}).json()["comments"][0]
    assert [r["id"] for r in node["replies"]] == [r.pk for r in replies[:5]]
    assert node["more_replies"] == 2
    rest = anon.get(f"{API}/comments/{root.pk}/replies", {"cursor": node["replies_cursor"]}).json()
    assert [r["id"] for r in rest["replies"]] == [r.pk for r in replies[5:]]
    node = anon.get(f"{API}/threads/{thread.pk}/comments", {"replies": 7}).json()["comments"][0]
    assert len(node["replies"]) == 7 and node["replies_cursor"] is None


# --- One comment ------------------------------------------------------------------------------------------


def test_one_comment_and_its_visibility(anon, alice, bob, thread):
    comment = actions.post_comment(alice, thread, "Hello")
    body = anon.get(f"{API}/comments/{comment.pk}").json()
    assert body["id"] == comment.pk and body["body_html"] == "<p>Hello</p>" and body["is_own"] is False

    held = actions.post_comment(alice, thread, "Waiting for a moderator")
    set_status(held, Comment.Status.HELD)
    assert anon.get(f"{API}/comments/{held.pk}").status_code == 404
    assert token_client(bob).get(f"{API}/comments/{held.pk}").status_code == 404
    own = token_client(alice).get(f"{API}/comments/{held.pk}").json()
    assert own["status"] == "held" and own["body"] == "Waiting for a moderator"

    set_status(comment, Comment.Status.REMOVED)
    removed = anon.get(f"{API}/comments/{comment.pk}").json()
    assert removed["status"] == "removed" and removed["body_html"] == "" and removed["author"] is None

    response = anon.get(f"{API}/comments/999999")
    assert response.status_code == 404 and error_of(response)["code"] == "comment_not_found"


def test_deep_replies_name_who_they_answer(anon, alice, thread):
    bob = make_user("bobby")
    chain = [actions.post_comment(alice, thread, "Root")]
    for level in range(1, Comment.MAX_VISUAL_DEPTH + 2):
        chain.append(actions.post_comment(bob if level % 2 else alice, thread, f"Level {level}", chain[-1]))
    deep = anon.get(f"{API}/comments/{chain[-1].pk}").json()
    assert deep["depth"] == Comment.MAX_VISUAL_DEPTH + 1
    assert deep["replying_to"] == chain[-2].author.username
    assert anon.get(f"{API}/comments/{chain[1].pk}").json()["replying_to"] is None
