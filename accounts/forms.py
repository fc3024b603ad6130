"""Account forms.  All render through templates/includes/form_fields.html."""

from collections.abc import Callable

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Value
from django.db.models.functions import Lower

from accounts import throttle
from accounts.models import User


class ThrottledFormMixin:
    """A form that can be refused for going too fast; `retry_after` is then in seconds."""

    has_error: Callable[..., bool]  # the form's own, where this is mixed in

    retry_after = 0

    def refusal(self, verdict) -> ValidationError:
        self.retry_after = verdict.retry_after
        return ValidationError(throttle.too_many_message(verdict), code="throttled")

    def refuse(self, verdict) -> None:
        raise self.refusal(verdict)

    @property
    def throttled(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, code="throttled")


def email_in_use(email: str, exclude_pk: int | None = None) -> bool:
    """The same comparison as the accounts_user_email_ci_unique constraint (lower(email))."""
    queryset = User.objects.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(email)))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


DUPLICATE_EMAIL = "An account already uses this address. Log in or reset your password."


class SignupForm(auth_forms.UserCreationForm):
    email = forms.EmailField(
        max_length=254,
        help_text="We send a link to confirm it. It is never shown to other readers.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        if email_in_use(email):
            raise ValidationError(DUPLICATE_EMAIL, code="duplicate_email")
        return email


class LoginForm(ThrottledFormMixin, auth_forms.AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        # Count before the password is checked, so a refused attempt costs no hashing.
        if username and password:
            verdict = throttle.login_attempt(self.request, username)
            if not verdict.allowed:
                self.refuse(verdict)
        return super().clean()


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
