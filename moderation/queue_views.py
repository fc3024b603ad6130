"""The moderators' pages: the queues, their actions and the dashboard.

Every action is a plain form POST that redirects back to the queue with a message; the queue's
script (static/js/moderation-queue.js) sends the same forms with ``X-Requested-With:
XMLHttpRequest`` and gets JSON instead, so it can take the item away without reloading.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import EDITORS
from articles.models import Article
from discussions.errors import CommentError
from discussions.live import event_stream
from discussions.models import Comment
from moderation import appeals, queues, review, selectors, services, trust
from moderation import dashboard as figures
from moderation.models import Appeal, SpotCheck

REJECT_REASONS = [
    ("abuse", "it is abusive or insulting"),
    ("hate", "it attacks people for who they are"),
    ("spam", "it is spam or advertising"),
    ("off_topic", "it is off-topic"),
    ("personal", "it shares someone's personal details"),
    ("misleading", "it spreads false or misleading claims"),
]
SUSPENSION_DAYS = [("1", "1 day"), ("7", "7 days"), ("30", "30 days")]
NO_REASON = "Choose a reason or write one: the reader is told it."


# --- forms -------------------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    """A common reason from the list, or the moderator's own words (which win)."""

    reason_choice = forms.ChoiceField(
        label="Reason", required=False, choices=[("", "Choose a reason…"), *REJECT_REASONS]
    )
    reason = forms.CharField(label="Or in your own words", required=False, max_length=300)

    def reason_text(self) -> str:
        return self.cleaned_data["reason"].strip() or dict(REJECT_REASONS).get(
            self.cleaned_data["reason_choice"], ""
        )


class DecisionForm(ReasonForm):
    action = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("reject", "Reject"),
            ("feature", "Feature"),
            ("unfeature", "Unfeature"),
        ]
    )

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if cleaned.get("action") == "reject" and not self.reason_text():
            raise forms.ValidationError(NO_REASON)
        return cleaned


class BulkForm(ReasonForm):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], error_messages={"required": "Select at least one comment first."}
    )

    def __init__(self, data: QueryDict | None = None) -> None:
        super().__init__(data)
        # Any comment ids (a page at most): the services decide what may be done to each.
        ids = data.getlist("comment")[: queues.PAGE_SIZE] if data is not None else []
        field = self.fields["comment"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(i, i) for i in ids if i.isdecimal()]

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if cleaned.get("action") == "reject" and not self.reason_text():
            raise forms.ValidationError(NO_REASON)
        return cleaned


class VerdictForm(ReasonForm):
    """The Audit queue's verdict: fine, or should have been held (then a reason, as for rejecting)."""

    verdict = forms.ChoiceField(choices=SpotCheck.Verdict.choices)

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if cleaned.get("verdict") == SpotCheck.Verdict.SHOULD_HAVE_HELD and not self.reason_text():
            raise forms.ValidationError(NO_REASON)
        return cleaned


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("uphold", "Uphold"), ("refuse", "Refuse")])
    reason = forms.CharField(label="Reason (the reader is told it)", required=False, max_length=500)


class ApproveBelowForm(forms.Form):
    """ "Approve the rest of this view below score X": the current decisions the page showed, and X."""

    below = forms.FloatField(
        label="Approve those scoring under",
        min_value=0.01,
        max_value=1.0,
        error_messages={"required": "Give the score under which to approve."},
    )
    decision = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], error_messages={"required": "There is nothing on this page to approve."}
    )

    def __init__(self, data: QueryDict | None = None) -> None:
        super().__init__(data)
        ids = data.getlist("decision")[: queues.PAGE_SIZE] if data is not None else []
        field = self.fields["decision"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(i, i) for i in ids if i.isdecimal()]


class SanctionForm(forms.Form):
    action = forms.ChoiceField(
        label="Action",
        choices=[("warn", "Warn"), ("suspend", "Suspend"), ("ban", "Ban")],
    )
    days = forms.TypedChoiceField(
        label="For", coerce=int, required=False, choices=[("", "—"), *SUSPENSION_DAYS]
    )
    reason = forms.CharField(
        label="Reason (the reader is told it)",
        max_length=500,
        error_messages={"required": "Give a reason: the reader is told it."},
    )
    comment = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if cleaned.get("action") == "suspend" and not cleaned.get("days"):
            raise forms.ValidationError("Choose how long the suspension lasts.")
        return cleaned


# --- access ------------------------------------------------------------------------------------------


def moderator_required(view):  # type: ignore[no-untyped-def]
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not trust.is_moderator(request.user):
            raise PermissionDenied("Only moderators can see the moderation queues.")
        return view(request, *args, **kwargs)

    return wrapped


def can_see_dashboard(user) -> bool:
    """Moderators and editors (the Editors group, or anyone who may change articles)."""
    return trust.is_moderator(user) or (
        user.is_active
        and (user.has_perm("articles.change_article") or user.groups.filter(name=EDITORS).exists())
    )


def _queue_name(name: str) -> str:
    if name not in queues.QUEUES:
        raise Http404("There is no such queue.")
    return name


def _scope(article_id: int | None, order: str) -> dict[str, str | int]:
    """The query that keeps a queue's view: its article and Pending's order."""
    return {
        **({"article": article_id} if article_id else {}),
        **({"order": order} if order != selectors.PENDING_ORDERS[0][0] else {}),
    }


def _poll_url(name: str, marker: int, article_id: int | None, order: str) -> str:
    query = urlencode({"since": marker, **_scope(article_id, order)})
    return reverse("moderation:queue-updates", args=[name]) + "?" + query


def _order(request: HttpRequest, name: str) -> str:
    value = request.GET.get("order", "")
    return value if name == "pending" and value in dict(selectors.PENDING_ORDERS) else "oldest"


def _article_id(request: HttpRequest) -> int | None:
    value = request.GET.get("article", "")
    return int(value) if value.isdecimal() else None


# --- answering an action -----------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return reverse("moderation:queue", args=["pending"])


def _answer(request: HttpRequest, message: str, *, ok: bool = True, status: int = 200, gone: bool = False):
    """JSON for the queue's script (`gone`: the item left this queue), else a message and a redirect."""
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": message, "gone": gone}, status=status if not ok else 200)
    (messages.success if ok else messages.error)(request, message)
    return redirect(_back(request))


def _form_error(request: HttpRequest, form: forms.Form) -> HttpResponse:
    problems = [str(e) for errors in form.errors.values() for e in errors if e]
    return _answer(request, " ".join(problems) or "Check the form and try again.", ok=False, status=400)


def _author_label(comment: Comment) -> str:
    return comment.author.public_name if comment.author else "a former reader"


def _decide(moderator, comment: Comment, form: DecisionForm) -> tuple[str, bool]:
    """Run the chosen action through its service: (message, whether it left the queue)."""
    action, who = form.cleaned_data["action"], _author_label(comment)
    if action == "approve":
        was_public = comment.is_public
        review.approve(moderator, comment, form.cleaned_data["reason"].strip())
        return (f"Kept the comment by {who}." if was_public else f"Published the comment by {who}."), True
    if action == "reject":
        review.take_down(moderator, comment, form.reason_text())
        return f"Took down the comment by {who}; they are told why.", True
    services.set_featured(moderator, comment, featured=action == "feature")
    return (f"Featured the comment by {who}." if action == "feature" else "No longer featured."), False


# --- views -------------------------------------------------------------------------------------------


@require_GET
@moderator_required
def queue(request: HttpRequest, name: str) -> HttpResponse:
    name = _queue_name(name)
    article_id = _article_id(request)
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    order = _order(request, name)
    page_number = request.GET.get("page", "1")
    page = queues.load_page(
        name,
        article_id,
        after=request.GET.get("after", ""),
        page=int(page_number) if page_number.isdecimal() else 1,
        order=order,
    )
    if name == "appeals":
        _mark_deciders(request.user, page.items)
    sizes = queues.sizes(article_id)
    context = {
        "queue": page.queue,
        "page": page,
        "tabs": [(q, sizes.get(q.name)) for q in queues.QUEUES.values()],
        "article": article,
        "order": order,
        "orders": selectors.PENDING_ORDERS,
        "poll_url": _poll_url(name, queues.newest_marker(name, article_id), article_id, order),
        "sizes_url": reverse("moderation:queue-sizes") + (f"?article={article_id}" if article_id else ""),
        "can_ban": request.user.has_perm("moderation.ban_users"),
        "can_feature": request.user.has_perm("discussions.feature_comment"),
        "decision_form": DecisionForm(),
        "sanction_form": SanctionForm(),
        "here": request.get_full_path(),
    }
    return render(request, "moderation/queue.html", context)


def _mark_deciders(moderator, items: list[queues.AppealItem]) -> None:
    """Per appeal: why this moderator may not decide it ("" when they may), and whether they decide
    their own decision's appeal because the site has no other moderator who could."""
    counted: dict[str, int] = {}
    for item in items:
        item.refusal = appeals.decider_refusal(moderator, item.appeal, counted)
        item.sole_decider = appeals.sole_decider(moderator, item.appeal, counted)


@require_GET
@moderator_required
def queue_updates(request: HttpRequest, name: str) -> HttpResponse:
    """The small fragment the queue polls: how many items arrived since the page was loaded."""
    name = _queue_name(name)
    since = request.GET.get("since", "")
    article_id, order = _article_id(request), _order(request, name)
    if not since.isdecimal():
        raise Http404("Say since when.")
    scope = urlencode(_scope(article_id, order))
    context = {
        "arrived": queues.arrived_since(name, int(since), article_id),
        "url": reverse("moderation:queue", args=[name]) + (f"?{scope}" if scope else ""),
        "poll_url": _poll_url(name, int(since), article_id, order),
    }
    return render(request, "moderation/_queue_updates.html", context)


@require_GET
@moderator_required
def queue_sizes(request: HttpRequest) -> JsonResponse:
    """The tabs' counters ({"pending": 3, ...}), which the queue's script reads after each decision."""
    return JsonResponse(queues.sizes(_article_id(request)))


@require_GET
@moderator_required
def queue_events(request: HttpRequest) -> HttpResponse:
    """Server-Sent Events for open queue pages: "queue" whenever an item may have arrived or left.

    The page then asks queue_updates at once instead of at its next 15-second poll.
    """
    return event_stream(request, queues.QUEUE_CHANNEL)


@require_POST
@moderator_required
def decide(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("author"), pk=comment_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        message, gone = _decide(request.user, comment, form)
    except CommentError as error:
        return _answer(request, error.message, ok=False, status=error.status)
    return _answer(request, message, gone=gone)


@require_POST
@moderator_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Approve or reject the selected comments, each through its service (so each is audited)."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    action, reason = form.cleaned_data["action"], form.reason_text()
    done, refused = 0, []
    for comment in Comment.objects.filter(pk__in=form.cleaned_data["comment"]).select_related("author"):
        try:
            if action == "approve":
                review.approve(request.user, comment, form.cleaned_data["reason"].strip())
            else:
                review.take_down(request.user, comment, reason)
        except CommentError as error:
            refused.append(f"{_author_label(comment)}: {error.message}")
        else:
            done += 1
    verb = "Approved" if action == "approve" else "Took down"
    message = f"{verb} {done} comment{'s' if done != 1 else ''}."
    if refused:
        message += " Not changed — " + "; ".join(refused)
    return _answer(request, message, ok=not refused or done > 0, status=409)


@require_POST
@moderator_required
def approve_below(request: HttpRequest) -> HttpResponse:
    """ "Approve the rest of this view below score X" on Pending: first a page that says how many it
    would approve, then (confirm) approves them one by one, each audited.  Only the decisions the
    moderator's page showed are candidates: what arrived, was edited or was reported since is not."""
    form = ApproveBelowForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    ids, below = form.cleaned_data["decision"], form.cleaned_data["below"]
    if request.POST.get("confirm") != "yes":
        found = list(selectors.approvable_below(ids, below).select_related("comment__thread"))
        context = {"found": found, "ids": ids, "below": below, "shown": len(ids), "next": _back(request)}
        return render(request, "moderation/approve_below.html", context)
    try:
        done = review.approve_below(request.user, ids, below)
    except CommentError as error:
        return _answer(request, error.message, ok=False, status=error.status)
    return _answer(request, f"Approved {done} comment{'s' if done != 1 else ''} scoring under {below:.2f}.")


@require_POST
@moderator_required
def spot_check_verdict(request: HttpRequest, check_id: int) -> HttpResponse:
    """The Audit queue: this comment the checks published is fine, or should have been held."""
    check = get_object_or_404(SpotCheck.objects.select_related("comment__author"), pk=check_id)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    verdict = form.cleaned_data["verdict"]
    try:
        review.judge_spot_check(request.user, check, verdict, form.reason_text())
    except CommentError as error:
        return _answer(request, error.message, ok=False, status=error.status)
    who = _author_label(check.comment)
    if verdict == SpotCheck.Verdict.FINE:
        return _answer(request, f"Marked the comment by {who} fine.", gone=True)
    return _answer(request, f"Took down the comment by {who}; they are told why.", gone=True)


@require_POST
@moderator_required
def decide_appeal(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """Uphold or refuse an appeal (another moderator than the first decider, where there is one)."""
    appeal = get_object_or_404(Appeal, pk=appeal_id)
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    uphold = form.cleaned_data["outcome"] == "uphold"
    try:
        appeals.decide(request.user, appeal, uphold=uphold, reason=form.cleaned_data["reason"])
    except CommentError as error:
        return _answer(request, error.message, ok=False, status=error.status)
    who = appeal.appellant.public_name if appeal.appellant else "a former reader"
    verb = "Upheld" if uphold else "Refused"
    return _answer(request, f"{verb} the appeal of {who}; they are told.", gone=True)


@require_POST
@moderator_required
def sanction(request: HttpRequest, user_id: int) -> HttpResponse:
    """Warn, suspend (1, 7 or 30 days) or ban a comment's author."""
    reader = get_object_or_404(get_user_model(), pk=user_id)
    form = SanctionForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"].strip()
    comment = (
        Comment.objects.filter(pk=form.cleaned_data["comment"]).first()
        if form.cleaned_data["comment"]
        else None
    )
    try:
        if action == "warn":
            services.warn(request.user, reader, reason, comment=comment)
            message = f"Warned {reader.public_name}."
        elif action == "suspend":
            days = form.cleaned_data["days"]
            services.suspend(request.user, reader, reason, days=days)
            message = f"Suspended {reader.public_name} for {days} day{'s' if days != 1 else ''}."
        else:
            services.ban(request.user, reader, reason)
            message = f"Banned {reader.public_name}."
    except CommentError as error:
        return _answer(request, error.message, ok=False, status=error.status)
    return _answer(request, message + " They are told why.")


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_see_dashboard(request.user):
        raise PermissionDenied("Only moderators and editors can see the moderation dashboard.")
    window = request.GET.get("window", "24h")
    if window not in figures.WINDOWS:
        window = "24h"
    context = {"figures": figures.build(window), "window": window, "windows": figures.WINDOWS}
    return render(request, "moderation/dashboard.html", context)
