"""What a discussion shows the reader in front of it: the thread's page, their standing in it, and the
outcome of the comment they just posted.  Used by the discussion template tags and the views."""

from django.http import HttpRequest

from accounts.selectors import muted_ids
from discussions import selectors
from discussions.forms import CommentForm
from discussions.models import Comment, Thread
from posting.standing import standing as reader_standing

SORT_LABELS = [("newest", "Newest"), ("oldest", "Oldest"), ("reacted", "Most respected")]
# What became of a comment the reader just posted, kept in their session across the redirect.
POSTED_SESSION_KEY = "discussions.posted"


def remember_posted(request: HttpRequest, comment: Comment, outcome: str) -> None:
    request.session[POSTED_SESSION_KEY] = {"id": comment.pk, "outcome": outcome}


def take_posted(request: HttpRequest, thread: Thread) -> dict:
    """The outcome box's context for the comment this reader just posted in `thread`, once."""
    posted = request.session.get(POSTED_SESSION_KEY) if request.user.is_authenticated else None
    if not posted:
        return {}
    found = Comment.objects.filter(pk=posted["id"], thread=thread, author_id=request.user.pk)
    comment = selectors.with_people(found.select_related("thread__article")).first()
    if comment is None:
        return {}
    del request.session[POSTED_SESSION_KEY]
    return {"posted": comment, "posted_outcome": posted["outcome"]}


def thread_context(request: HttpRequest, thread: Thread, cursor: str | None = None) -> dict:
    """Everything the discussion templates need for one page of `thread` (`cursor`: which page)."""
    standing = reader_standing(request.user, thread)
    page = selectors.thread_page(
        thread,
        request.user,
        sort=request.GET.get("sort", ""),
        cursor=cursor if cursor is not None else request.GET.get("comments_after"),
    )
    return {
        "request": request,
        "user": request.user,
        "thread": thread,
        "page": page,
        "state": standing.state,
        "standing": standing,
        "form": CommentForm(),
        "reacted_ids": page.reacted_ids,
        "muted_ids": muted_ids(request.user),  # their comments fold away for this reader
        "newest_id": selectors.newest_public_id(thread),
        "can_feature": request.user.has_perm("discussions.feature_comment"),
        "sorts": SORT_LABELS,
        **take_posted(request, thread),
    }
