"""Builders for discussion tests: real users, articles and comments through the services."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import COMMENTERS
from discussions.models import Comment, Thread
from moderation.trust import set_trusted


def make_user(username: str, verified: bool = True, role: str = COMMENTERS, trusted: bool = True, **extra):
    """A reader with a confirmed address (unless `verified=False`) in the given role group.

    Trusted by default (an established reader: past pre-moderation, the trusted rate limit);
    `trusted=False` gives a brand-new account, as moderation sees it.
    """
    user = get_user_model().objects.create_user(
        username,
        email=f"{username}@example.org",
        password="a-long-test-password-1",
        email_verified_at=timezone.now() if verified else None,
        **extra,
    )
    user.groups.add(Group.objects.get(name=role))
    if trusted:
        set_trusted(user)
    return user


def bulk_thread(thread: Thread, author, roots: int, replies_per_root: int = 0) -> None:
    """A large thread in a few statements, with the same fields post_comment would write."""
    start = timezone.now() - timedelta(days=1)
    top = Comment.objects.bulk_create(
        Comment(
            thread=thread,
            author=author,
            body=f"Comment {i}",
            body_html=f"<p>Comment {i}</p>",
            reply_count=replies_per_root,
        )
        for i in range(roots)
    )
    for i, comment in enumerate(top):
        comment.created_at = start + timedelta(seconds=i)
    Comment.objects.bulk_update(top, ["created_at"], batch_size=500)
    replies = [
        Comment(
            thread=thread,
            author=author,
            parent=root,
            root=root,
            depth=1,
            body="A reply",
            body_html="<p>A reply</p>",
        )
        for root in top
        for _ in range(replies_per_root)
    ]
    Comment.objects.bulk_create(replies, batch_size=500)
    saved = list(Comment.objects.filter(thread=thread, depth=1).only("id"))
    for reply in saved:
        reply.path = f"{reply.pk:010d}"
    Comment.objects.bulk_update(saved, ["path"], batch_size=500)
    Thread.objects.filter(pk=thread.pk).update(comment_count=roots * (1 + replies_per_root))
