"""Account forms.  All render through templates/includes/form_fields.html."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Value
from django.db.models.functions import Lower

from accounts import login_guard, names, throttle, verification
from accounts.models import User


class ThrottledFormMixin:
    """A form that can be refused for going too fast; `retry_after` is then in seconds."""

    has_error: Callable[..., bool]  # the form's own, where this is mixed in

    retry_after = 0

    def refusal(self, verdict, message: str = "") -> ValidationError:
        self.retry_after = verdict.retry_after
        return ValidationError(message or throttle.too_many_message(verdict), code="throttled")

    def refuse(self, verdict, message: str = "") -> None:
        raise self.refusal(verdict, message)

    @property
    def throttled(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, code="throttled")


def email_in_use(email: str, exclude_pk: int | None = None) -> bool:
    """The same comparison as the accounts_user_email_ci_unique constraint (lower(email))."""
    queryset = User.objects.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(email)))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


class SignupForm(auth_forms.UserCreationForm):
    email = forms.EmailField(
        max_length=254,
        help_text="We send a link to confirm it. It is never shown to other readers.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = super().clean_username()  # None when it already refused a taken name
        if username and (problem := names.impersonation(username)):
            raise ValidationError(problem, code="impersonation")
        return username

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"].strip())

    def _get_validation_exclusions(self) -> set[str]:
        """The address stays out of the model's unique checks: a taken one is answered like a new one
        (accounts.views), and the database's constraint still keeps it to one account."""
        return super()._get_validation_exclusions() | {"email"}  # type: ignore[misc]


class LoginForm(ThrottledFormMixin, auth_forms.AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        # Refused before the password is checked, so a refused attempt costs no hashing and tells nothing.
        verdict = throttle.login_attempt(self.request, username)
        if not verdict.allowed:
            self.refuse(verdict)
        guarded = login_guard.check(self.request, username)
        if not guarded.allowed:
            self.refuse(guarded, login_guard.refusal_message(guarded))
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                login_guard.failed(self.request, username)
            raise
        login_guard.succeeded(self.request, self.get_user())
        return cleaned

    def confirm_login_allowed(self, user):
        """The right password, but an address never confirmed: a new link goes out instead.

        Sign-up tells nobody whether an address already had an account; logging in to an account
        just signed up, before its owner has followed the link sent to the address, would.
        """
        super().confirm_login_allowed(user)
        if user.email and verification.needs_verification(user):
            verification.resend_before_login(self.request, user)
            raise ValidationError(verification.CONFIRM_FIRST, code="unconfirmed")


class PasswordResetRequestForm(ThrottledFormMixin, auth_forms.PasswordResetForm):
    def __init__(self, *args, request=None, **kwargs) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and self.request is not None:
            verdict = throttle.reset_request(self.request, email)
            if not verdict.allowed:
                self.refuse(verdict)
        return cleaned

    def save(self, **kwargs) -> None:  # type: ignore[override]
        """The link's scheme and host come from SITE_URL, never from the request's Host header."""
        site = urlsplit(settings.SITE_URL)
        super().save(**{**kwargs, "domain_override": site.netloc, "use_https": site.scheme == "https"})


class SetPasswordForm(auth_forms.SetPasswordForm):
    pass


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    pass


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "bio", "show_follows"]
        help_texts = {
            "display_name": "Shown next to your comments instead of your username. Up to 60 characters.",
            "bio": "A line or two about you, shown on your public profile. Up to 280 characters.",
        }
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
            "bio": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if name.startswith("[") and name.endswith("]"):
            raise ValidationError(
                "Names in square brackets are kept for labels such as [deleted].", code="reserved"
            )
        if name and (problem := names.impersonation(name, self.instance)):
            raise ValidationError(problem, code="impersonation")
        if name and (problem := names.someone_elses_username(name, self.instance)):
            raise ValidationError(problem, code="someone_else")
        return name

    def clean_bio(self) -> str:
        return self.cleaned_data["bio"].strip()


class EraseAccountForm(ThrottledFormMixin, forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="To be sure it is you.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        verdict = throttle.erase_attempt(self.user.pk)
        if not verdict.allowed:
            # Refused before the password is checked, so a guess learns nothing.
            self.add_error(None, self.refusal(verdict))
            return password
        if not self.user.check_password(password):
            raise ValidationError("That is not your password.", code="wrong_password")
        return password
