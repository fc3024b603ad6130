"""Request and response shapes (they are also the OpenAPI document's schemas)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

Sort = Literal["newest", "oldest", "reacted"]  # discussions.selectors.SORTS (a test keeps them equal)
CommentStatus = Literal["published", "held", "rejected", "deleted", "removed"]


class ErrorDetail(Schema):
    code: str = Field(examples=["closed"])
    message: str = Field(examples=["Commenting is closed on this article. Existing comments stay readable."])
    details: list[dict] | None = Field(None, description="Validation errors (422 only): loc, msg, type.")


class ErrorOut(Schema):
    error: ErrorDetail


class AuthorOut(Schema):
    username: str
    display_name: str = Field(description="The display name, or the username when there is none.")
    initials: str
    badge: str = Field(description='"Staff", "Journalist" or "Moderator" for the newsroom; "" for readers.')


class CommentOut(Schema):
    id: int
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    author: AuthorOut | None = Field(
        description="null for erased accounts and for comments the caller may not read (see placeholder)."
    )
    replying_to: str | None = Field(
        description="Username of the parent's author, for replies deeper than the nesting shown."
    )
    status: CommentStatus = Field(description="Tombstones are 'deleted' or 'removed', with an empty body.")
    placeholder: str = Field(
        description="What to show instead of a comment the caller may not read, which stays in the thread "
        "for its published replies (awaiting review, removed, deleted); empty when body_html is shown."
    )
    body_html: str = Field(description="Sanitised HTML; empty for comments the caller may not read.")
    body: str | None = Field(description="The text as written: only on the caller's own live comments.")
    created_at: datetime
    edited_at: datetime | None
    reaction_count: int
    reply_count: int = Field(description="Published replies under a top-level comment (all depths).")
    is_featured: bool
    reacted: bool = Field(description="Whether the caller has reacted to it.")
    is_own: bool
    url: str


class ThreadCommentOut(CommentOut):
    replies: list[CommentOut] = Field(description="The first replies, in reading order.")
    more_replies: int = Field(description="About how many replies follow those shown.")
    replies_cursor: str | None = Field(description="Pass as ?cursor= to GET /comments/{id}/replies.")


class ArticleOut(Schema):
    id: int
    slug: str
    headline: str
    url: str


class CommentingOut(Schema):
    open: bool
    reason: str


class ThreadOut(Schema):
    id: int
    title: str
    url: str
    embed_url: str | None = Field(description="The publisher's page, for embedded threads.")
    article: ArticleOut | None
    comment_count: int
    created_at: datetime
    commenting: CommentingOut


class ThreadListOut(Schema):
    threads: list[ThreadOut]
    next_cursor: str | None


class ThreadPageOut(Schema):
    thread: ThreadOut
    sort: Sort
    featured: list[CommentOut] = Field(description="Editor's picks; on the first page only.")
    comments: list[ThreadCommentOut]
    next_cursor: str | None


class RepliesOut(Schema):
    root_id: int
    replies: list[CommentOut]
    next_cursor: str | None


class MeOut(Schema):
    username: str
    display_name: str
    initials: str
    email_verified: bool
    can_feature: bool
    auth: Literal["token", "session"]


class CsrfOut(Schema):
    csrf_token: str


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str
    parent_id: int | None = Field(None, description="The comment this replies to.")
    client_key: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Idempotency key: retrying with the same key returns the first comment (200).",
    )
    nudge_id: int | None = Field(
        None,
        description="Posting after a nudge from /comments/check: the comment is held for review, "
        "unless the edited draft no longer needs a warning.",
    )


class DraftIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str
    nudge_id: int | None = Field(None, description="The nudge of an earlier check of this draft, if any.")


class NudgeOut(Schema):
    id: int = Field(description="Send as `nudge_id` to post the draft after showing this warning.")
    message: str = Field(
        examples=["Your comment may break our community guidelines: it looks like an insult."]
    )
    categories: list[Literal["insult", "identity_attack", "obscene", "threat"]] = Field(
        description="The kinds of problem named, strongest first; empty for the general warning."
    )
    guidelines_url: str


class CheckOut(Schema):
    nudge: NudgeOut | None = Field(description="null: post it as it is.")


class CommentEditIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str
    nudge_id: int | None = Field(
        None,
        description="Saving after a nudge from /comments/check on the new wording: the comment is held "
        "for review, unless the wording no longer needs a warning.",
    )


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(codes, ErrorOut)
