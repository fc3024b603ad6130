"""The reader's notifications page, the bell's live stream, email settings and unsubscribe links.

Everything works as plain links and form posts; the bell's count updates live where JavaScript runs.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Mute, User
from agora import ratelimit
from agora.requests import SignedInRequest
from discussions.live import event_stream
from notifications import emails, live, selectors, services
from notifications.display import describe
from notifications.forms import EmailSettingsForm
from notifications.models import Kind, Notification

UNSUBSCRIBES_PER_HOUR = 60  # per client IP: the links need no login


@login_required
def notification_list(request: SignedInRequest) -> HttpResponse:
    page = selectors.page(request.user, request.GET.get("after"))
    muted = frozenset(Mute.objects.filter(muter=request.user).values_list("muted_id", flat=True))
    items = [(n, describe(n, muted)) for n in page.items]
    context = {
        "items": items,
        "next_cursor": page.next_cursor,
        "unread": any(n.read_at is None for n in page.items),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def mark_read(request: SignedInRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("id") if pk.isdigit()]
    changed = services.mark_read(request.user, ids or None)
    messages.success(request, f"{changed} notification{'s' if changed != 1 else ''} marked read.")
    return redirect("notifications:list")


@login_required
def open_notification(request: SignedInRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link, marking it read (only links to this site are followed)."""
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    if notification.read_at is None:
        services.mark_read(request.user, [notification.pk])
    url = notification.url.removeprefix(settings.SITE_URL)  # heat alerts carry absolute links, for email
    same_site = url.startswith("/") and not url.startswith("//")
    return redirect(url if same_site else "notifications:list")


@login_required
def stream(request: SignedInRequest) -> StreamingHttpResponse:
    """Server-Sent Events: the reader's unread count now, then whenever it changes."""
    if settings.NOTIFICATIONS_LIVE_RELAY:
        live.relay.touch()
    count = selectors.unread_count(request.user)
    preface = [f"event: unread\ndata: {json.dumps(live.unread_event(count))}\n\n"]
    return event_stream(live.channel(request.user.pk), preface)


def _kinds_for(user: User) -> list[Kind]:
    moderator = user.has_perm("moderation.moderate_comments")
    return [kind for kind in Kind if kind != Kind.HEAT or moderator]


@login_required
def email_settings(request: SignedInRequest) -> HttpResponse:
    kinds = _kinds_for(request.user)
    current = selectors.preferences(request.user)
    form = EmailSettingsForm(request.POST or None, kinds=kinds, initial=current)
    if request.method == "POST" and form.is_valid():
        for kind in kinds:
            if form.cleaned_data[kind.value] != current[kind.value]:
                services.set_frequency(request.user, kind, form.cleaned_data[kind.value])
        messages.success(request, "Your email choices are saved.")
        return redirect("notifications:settings")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "notifications/settings.html", {"form": form, "email": request.user.email}, status=status
    )


@csrf_exempt  # the signed link is the authority; mail clients POST it with no cookie (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link stops, and one button; POST (the button, or a mail client's one-click): stop it.

    A GET changes nothing, because mail scanners open links by themselves.
    """
    verdict = ratelimit.hit("unsubscribe", ratelimit.client_ip(request), UNSUBSCRIBES_PER_HOUR, 3600)
    if not verdict.allowed:
        response = render(request, "notifications/unsubscribe.html", {"throttled": True}, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        user_id, kinds = emails.read_unsubscribe_token(token)
    except emails.BadLink as error:
        return render(request, "notifications/unsubscribe.html", {"error": str(error)}, status=400)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        gone = {"error": "This account no longer exists."}
        return render(request, "notifications/unsubscribe.html", gone, status=404)
    context: dict[str, object] = {
        "labels": [Kind(k).label for k in kinds],
        "token": token,
        "email": user.email,
    }
    if request.method == "POST":
        services.unsubscribe(user.pk, kinds)
        context["done_at"] = timezone.now()
    return render(request, "notifications/unsubscribe.html", context)
