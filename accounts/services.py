"""A reader's own data: everything we hold about them as JSON, and erasing it.

Erasure keeps the shape of every discussion: the reader's comments stay as "[deleted]"
tombstones (empty text, no author) so other people's replies keep their place, and the
published counts move exactly as `discussions.services.set_status` would move them.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mute, User
from accounts.signals import account_erasing
from discussions import events
from discussions.models import Comment, CommentRevision, Mention, Reaction, Thread
from interests.models import Follow
from notifications.models import EmailPreference, Notification

EXPORT_FORMAT_VERSION = 1


def _permalink(comment_id: int) -> str:
    return reverse("discussions:permalink", args=[comment_id]) + f"#c{comment_id}"


def export_data(user: User, absolute: Callable[[str], str] = str) -> dict:
    """All of a reader's data, ready for json.dumps (with DjangoJSONEncoder for dates)."""
    comments = (
        Comment.objects.filter(author=user)
        .select_related("thread__article")
        .prefetch_related("revisions")
        .order_by("created_at", "id")
    )
    reactions = Reaction.objects.filter(user=user).order_by("created_at", "id")
    mentions_of_me = Mention.objects.filter(user=user).order_by("comment_id")
    mentions_by_me = (
        Mention.objects.filter(comment__author=user).select_related("user").order_by("comment_id")
    )
    return {
        "format": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now(),
        "profile": {
            "username": user.username,
            "email": user.email,
            "email_verified_at": user.email_verified_at,
            "display_name": user.display_name,
            "bio": user.bio,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "profile_url": absolute(reverse("accounts:profile", args=[user.username])),
        },
        "comments": [
            {
                "id": comment.pk,
                "url": absolute(_permalink(comment.pk)),
                "thread": {
                    "id": comment.thread_id,
                    "title": str(comment.thread),
                    "url": absolute(comment.thread.get_absolute_url()),
                },
                "parent_id": comment.parent_id,
                "status": comment.status,
                "body": comment.body,
                "created_at": comment.created_at,
                "edited_at": comment.edited_at,
                "is_featured": comment.is_featured,
                "reaction_count": comment.reaction_count,
                "revisions": [
                    {"body": revision.body, "created_at": revision.created_at}
                    for revision in comment.revisions.all()
                ],
            }
            for comment in comments
        ],
        "reactions": [
            {
                "comment_id": reaction.comment_id,
                "comment_url": absolute(_permalink(reaction.comment_id)),
                "created_at": reaction.created_at,
            }
            for reaction in reactions
        ],
        # What the site told you, and how you want to be emailed.
        "notifications": [
            {
                "kind": n.kind,
                "text": n.text,
                "url": absolute(n.url) if n.url.startswith("/") else n.url,
                "count": n.count,
                "created_at": n.created_at,
                "updated_at": n.updated_at,
                "read_at": n.read_at,
            }
            for n in Notification.objects.filter(recipient=user).order_by("created_at", "id")
        ],
        "email_preferences": dict(EmailPreference.objects.filter(user=user).values_list("kind", "frequency")),
        # What you follow (topics, sections, authors, agencies, discussions).
        "follows": [
            {"kind": kind, "name": label, "since": created_at}
            for kind, label, created_at in Follow.objects.filter(user=user)
            .order_by("created_at", "id")
            .values_list("kind", "label", "created_at")
        ],
        # Readers you muted (they were never told).
        "muted": sorted(Mute.objects.filter(muter=user).values_list("muted__username", flat=True)),
        "mentions": {
            # Comments by other readers that mention you (their text is theirs, so only links).
            "of_you": [
                {"comment_id": m.comment_id, "comment_url": absolute(_permalink(m.comment_id))}
                for m in mentions_of_me
            ],
            # Readers you mentioned in your comments.
            "by_you": [{"comment_id": m.comment_id, "username": m.user.username} for m in mentions_by_me],
        },
    }


@dataclass(frozen=True)
class Erasure:
    comments: int
    reactions: int


def erase_account(user: User) -> Erasure:
    """Erase a reader in one transaction; other readers' comments, replies and reactions stay."""
    with transaction.atomic():
        # Lock the account first: a comment or reaction being written for it concurrently
        # either commits before this reads, or waits and then fails on the missing user.
        user = User.objects.select_for_update().get(pk=user.pk)
        comments = list(
            Comment.objects.select_for_update()
            .filter(author=user)
            .only("id", "thread_id", "root_id", "path", "status")
            .order_by("id")
        )
        published = [c for c in comments if c.status == Comment.Status.PUBLISHED]
        # Exactly what set_status(comment, DELETED) does to the counts, batched per thread and ancestor.
        for thread_id, n in Counter(c.thread_id for c in published).items():
            Thread.objects.filter(pk=thread_id).update(comment_count=F("comment_count") - n)
        for ancestor_id, n in Counter(a for c in published for a in c.ancestor_ids).items():
            Comment.objects.filter(pk=ancestor_id).update(reply_count=F("reply_count") - n)
        Comment.objects.filter(author=user).update(
            body="",
            body_html="",
            status=Comment.Status.DELETED,
            edited_at=None,
            is_featured=False,
            client_key=None,
        )
        CommentRevision.objects.filter(comment__author=user).delete()
        Mention.objects.filter(Q(user=user) | Q(comment__author=user)).delete()

        reacted_ids = list(Reaction.objects.filter(user=user).values_list("comment_id", flat=True))
        if reacted_ids:
            Comment.objects.filter(reactions__user=user).update(reaction_count=F("reaction_count") - 1)
            Reaction.objects.filter(user=user).delete()

        account_erasing.send(sender=User, user=user)  # e.g. moderation keeps its bans enforceable
        user.delete()  # Comment.author is SET_NULL: the tombstones stay, authorless.

        # Every one: a comment awaiting review that holds replies shows as a placeholder, now "[deleted]".
        changed = [Comment(pk=c.pk, thread_id=c.thread_id, status=Comment.Status.DELETED) for c in comments]
        # robust: a live-update hiccup must not turn a finished erasure into an error page.
        transaction.on_commit(lambda: _announce(changed, reacted_ids), robust=True)
    return Erasure(comments=len(comments), reactions=len(reacted_ids))


def _announce(changed: list[Comment], reacted_ids: list[int]) -> None:
    """Tell open pages and the page cache (after commit, like the discussions services do)."""
    for comment in changed:
        events.comment_changed(comment)
    for comment in Comment.objects.filter(pk__in=reacted_ids).only("id", "thread_id", "reaction_count"):
        events.reaction_changed(comment)


class MuteError(Exception):
    """A mute that cannot be: the message says why."""


def mute(user: User, person: User) -> bool:
    """`user` mutes `person`: their comments collapse for `user`, and nothing they do notifies `user`.

    `person` is never told.  True when it is new (muting twice changes nothing).
    """
    if person.pk == user.pk:
        raise MuteError("You cannot mute yourself.")
    _, created = Mute.objects.get_or_create(muter=user, muted=person)
    return created


def unmute(user: User, person: User) -> bool:
    deleted, _ = Mute.objects.filter(muter=user, muted=person).delete()
    return bool(deleted)
