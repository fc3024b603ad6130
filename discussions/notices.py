"""What discussions tell readers, through notifications.services: replies, mentions, respect, picks.

Only public comments are told about: a held reply notifies once a moderator publishes it.  Each
notification's key names its comment, so telling twice (an approval, then an edit) tells once.
"""

from django.urls import reverse

from agora.prepared import Prepared
from discussions.models import Comment, Mention
from notifications import services as notifications
from notifications.models import Kind

# Asked after every published post: compiled once (agora.prepared).
_mentioned = Prepared(
    lambda comment_id: Mention.objects.filter(comment_id=comment_id).values_list("user_id"), int
)


def _link(comment: Comment) -> str:
    return reverse("discussions:permalink", args=[comment.pk]) + f"#c{comment.pk}"


def comment_published(comment: Comment) -> None:
    """A comment is public (posted, approved, or edited): its parent's author and whoever it mentions."""
    if not comment.is_public:
        return
    replied_to = None
    if comment.parent_id:
        parent = comment.parent if Comment.parent.is_cached(comment) else None
        replied_to = parent.author_id if parent else Comment.objects.get(pk=comment.parent_id).author_id
        notifications.notify(
            Kind.REPLY,
            [replied_to],
            key=f"reply:{comment.pk}",
            actor=comment.author_id,
            comment=comment,
            url=_link(comment),
        )
    mentioned = {user_id for (user_id,) in _mentioned.all(comment.pk)} - {replied_to}
    notifications.notify(
        Kind.MENTION,
        mentioned,
        key=f"mention:{comment.pk}",
        actor=comment.author_id,
        comment=comment,
        url=_link(comment),
    )


def respected(reader, comment: Comment) -> None:  # type: ignore[no-untyped-def]
    """Counted into the author's one notification for this comment ("12 people respected …")."""
    notifications.notify(
        Kind.REACTION,
        [comment.author_id],
        key=f"reaction:{comment.pk}",
        actor=reader,
        comment=comment,
        url=_link(comment),
    )


def featured(comment: Comment) -> None:
    notifications.notify(
        Kind.FEATURED, [comment.author_id], key=f"featured:{comment.pk}", comment=comment, url=_link(comment)
    )
