"""Sign-up, email confirmation, logging in and out, passwords, profile, and a reader's own data.

Every page is a plain form post; nothing needs JavaScript.  Rate limits answer 429 with
a Retry-After header and a sentence a person can act on.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts import roles, selectors, services, throttle, verification
from accounts.forms import (
    DUPLICATE_EMAIL,
    EraseAccountForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    SetPasswordForm,
    SignupForm,
    email_in_use,
)
from accounts.models import User
from agora.requests import SignedInRequest


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _too_many(response: HttpResponse, retry_after: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(retry_after)
    return response


def _verify_reminder(request: HttpRequest) -> None:
    messages.info(
        request,
        format_html(
            "Confirm your email address to join the discussion: use the link we sent you, "
            'or <a href="{}">send a new one</a>.',
            reverse("accounts:verify-email"),
        ),
    )


# --- Sign-up and email confirmation ---------------------------------------------------


@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method == "POST":
        # Checked before the form, so a refused request learns nothing about taken addresses.
        verdict = throttle.signup_attempt(request)
        if not verdict.allowed:
            form = SignupForm(initial={k: request.POST.get(k, "") for k in ("username", "email")})
            context = {"form": form, "next": next_url, "refusal": throttle.too_many_message(verdict)}
            return _too_many(render(request, "accounts/signup.html", context), verdict.retry_after)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                roles.assign_default_role(user)
        except IntegrityError:  # the same address or username signed up a moment ago
            if email_in_use(form.cleaned_data["email"]):
                form.add_error("email", DUPLICATE_EMAIL)
            else:
                form.add_error("username", "A user with that username already exists.")
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if verification.send_verification_email(request, user):
                messages.success(
                    request,
                    f"Welcome, {user.username}. We have sent a link to {user.email}: "
                    "open it to confirm your address and join the discussion.",
                )
            else:
                messages.warning(
                    request,
                    format_html(
                        "Welcome, {}. We could not send the confirmation email just now; "
                        '<a href="{}">try again</a> in a little while.',
                        user.username,
                        reverse("accounts:verify-email"),
                    ),
                )
            return redirect(next_url)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=status)


@login_required
def verify_email(request: SignedInRequest) -> HttpResponse:
    """Where a reader stands with their address; POST sends the link again."""
    user = request.user
    refusal = ""
    if request.method == "POST":
        if user.email_verified_at:
            messages.info(request, "Your email address is already confirmed.")
            return redirect("accounts:verify-email")
        if not user.email:
            messages.error(request, "Your account has no email address to confirm.")
            return redirect("accounts:verify-email")
        verdict = throttle.resend_verification(request, user.pk)
        if verdict.allowed:
            if verification.send_verification_email(request, user):
                messages.success(request, f"We have sent a new link to {user.email}.")
            else:
                messages.error(request, "We could not send the email just now. Please try again later.")
            return redirect("accounts:verify-email")
        refusal = throttle.too_many_message(verdict)
        response = render(request, "accounts/verify_email.html", {"refusal": refusal})
        return _too_many(response, verdict.retry_after)
    return render(request, "accounts/verify_email.html", {"days": verification.MAX_AGE.days})


@require_GET
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email.  It confirms the address; it never logs anyone in."""
    try:
        user = verification.user_for_token(token)
    except verification.LinkError as error:
        context = {"expired": error.expired, "days": verification.MAX_AGE.days}
        return render(request, "accounts/confirm_email_failed.html", context, status=400)
    if verification.confirm(user):
        messages.success(request, "Thank you: your email address is confirmed. You can join the discussion.")
    else:
        messages.info(request, "Your email address was already confirmed.")
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:account")
    if request.user.is_authenticated:
        return redirect("articles:home")
    return redirect("accounts:login")


# --- Logging in and out, passwords ----------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if verification.needs_verification(form.get_user()):
            _verify_reminder(self.request)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            _too_many(response, form.retry_after)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        self.extra_email_context = {"site_name": settings.SITE_NAME}
        return super().form_valid(form)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            _too_many(response, form.retry_after)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The reset link went to the account's address, so following it confirms that address.
        User.objects.filter(pk=form.user.pk, email_verified_at__isnull=True).exclude(email="").update(
            email_verified_at=timezone.now()
        )
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:password-change-done")


# --- Your account and profile ---------------------------------------------------------


@login_required
def account(request: SignedInRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {"roles": request.user.groups.order_by("name")})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    """A reader's public page: their published comments (newest first, keyset pages), counts and picks."""
    person = get_object_or_404(User, username=username, is_active=True)
    context = {
        "person": person,
        "comments": selectors.published_comments(person, request.GET.get("after")),
        "counts": selectors.profile_counts(person),
        "picks": selectors.editors_picks(person),
        "muted": person.pk in selectors.muted_ids(request.user) if request.user.pk != person.pk else False,
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def mute(request: SignedInRequest, username: str) -> HttpResponse:
    """Mute (or, with `undo`, unmute) a reader; they are not told."""
    person = get_object_or_404(User, username=username, is_active=True)
    if request.POST.get("undo"):
        services.unmute(request.user, person)
        messages.success(request, f"You unmuted {person.public_name}.")
    else:
        try:
            services.mute(request.user, person)
        except services.MuteError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"You muted {person.public_name}: their comments are folded away for you and they cannot "
                "notify you. They are not told.",
            )
    return redirect(
        _safe_next(request) if request.POST.get("next") else reverse("accounts:profile", args=[username])
    )


@login_required
def muted(request: SignedInRequest) -> HttpResponse:
    return render(request, "accounts/muted.html", {"people": selectors.muted_readers(request.user)})


@login_required
def edit_profile(request: SignedInRequest) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile", request.user.username)
        request.user.refresh_from_db()  # the header shows the saved name, not the rejected one
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/edit_profile.html", {"form": form}, status=status)


# --- Your data --------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def data_export(request: SignedInRequest) -> HttpResponse:
    data = services.export_data(request.user, absolute=request.build_absolute_uri)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"{slugify(data['profile']['username']) or 'account'}-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@sensitive_post_parameters("password")
@login_required
def erase(request: SignedInRequest) -> HttpResponse:
    form = EraseAccountForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            services.erase_account(request.user)
            logout(request)
            messages.success(
                request,
                "Your account is erased. Your comments now show as [deleted]; replies to them stay.",
            )
            return redirect("articles:home")
        response = render(request, "accounts/erase.html", {"form": form}, status=400)
        return _too_many(response, form.retry_after) if form.throttled else response
    return render(request, "accounts/erase.html", {"form": form})
