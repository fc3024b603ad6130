from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications import selectors


def unread_notifications(request: HttpRequest) -> dict:
    """`unread_notifications` for the header's bell: counted only when a signed-in page shows it (pages
    for anonymous readers, the only ones the page cache keeps, never do)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(user))}
