"""Changing the commenting status of the site, a section, an article or an embedded thread.

How the levels combine is discussions.commenting's; changing one is an editors' and moderators'
action, so it lives here, with the audit log: authorised, written to the log, and the cached pages
that show it invalidated once it commits.
"""

from functools import partial

from django.db import models, transaction
from django.utils import timezone

from articles.models import Article
from discussions.commenting import (
    AUDIT_ACTION,
    CommentingPermissionDenied,
    Status,
    can_set_commenting,
    invalidate_pages,
    scope_of,
    snapshot,
    validate_settings,
)
from discussions.models import CommentingPolicy
from moderation import audit


def set_commenting_status(
    actor,
    target: models.Model | None,
    status: str,
    notice: str = "",
    slow_mode_minutes: int | None = None,
    auto_close_days: int | None = None,
    reason: str = "",
) -> CommentingPolicy:
    """Set the commenting status of the site (target None), a section, an article or an embedded thread."""
    if not can_set_commenting(actor):
        raise CommentingPermissionDenied("Only editors and moderators can change the commenting status.")
    notice = (notice or "").strip()
    validate_settings(status, notice, slow_mode_minutes, auto_close_days)
    scope, lookup = scope_of(target)
    target = next(iter(lookup.values()), None)
    with transaction.atomic():
        policy, created = CommentingPolicy.objects.select_for_update().get_or_create(
            scope=scope, **lookup, defaults={"status": Status.OPEN}
        )
        previous = None if created else snapshot(policy)
        policy.status = status
        policy.notice = notice
        policy.slow_mode_minutes = slow_mode_minutes if status == Status.SLOW else None
        policy.auto_close_days = auto_close_days
        policy.set_by = actor
        policy.set_at = timezone.now()
        policy.reason = reason
        policy.save()
        if isinstance(target, Article):
            # Keep the article form's open/closed switch in step, so the two never disagree.
            legacy = Article.CommentPolicy.CLOSED if status == Status.CLOSED else Article.CommentPolicy.OPEN
            if target.comment_policy != legacy:
                Article.objects.filter(pk=target.pk).update(comment_policy=legacy)
                target.comment_policy = legacy
        audit.record(
            actor,
            AUDIT_ACTION,
            target if target is not None else policy,
            reason,
            scope=scope,
            policy_id=policy.pk,
            previous=previous,
            **snapshot(policy),
        )
        transaction.on_commit(partial(invalidate_pages, scope, target))
    return policy
