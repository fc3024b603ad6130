"""Writing the audit log.  Call `record` inside the transaction of the action it records."""

from django.db import models

from moderation.models import AuditEntry


def record(actor, action: str, target: models.Model, reason: str = "", **details: object) -> AuditEntry:
    """Append one entry: `actor` (a user, or None for the system) did `action` to `target`."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=getattr(actor, "username", "") or "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        reason=reason,
        details=details,
    )
