import uuid

from django import forms
from django.conf import settings


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Be civil. **bold**, *italic*, > quotes, links and @mentions work.",
        # The length rules live in discussions.services so the API shares them; the
        # browser gets a hint here, with a margin so the service gives the message.
        strip=False,
        required=False,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # The nudge (moderation.nudge) this draft answers; "Post anyway" is the submit button's name.
    nudge = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = settings.COMMENT_MAX_LENGTH
        if not self.is_bound:
            # A fresh key per rendered form: a double-submitted form posts once.
            self.initial.setdefault("client_key", uuid.uuid4().hex)
        parent = self.data.get("parent") if self.is_bound else self.initial.get("parent")
        if parent and str(parent).isdigit():
            # A reply box sits on a page with the comment box and other reply boxes: ids of its own, so
            # its label focuses its own box; and the focus moves into it when it opens.
            self.auto_id = f"reply-{parent}-%s"
            self.fields["body"].label = "Your reply"
            self.fields["body"].widget.attrs["autofocus"] = True

    def clean_nudge(self) -> int | None:
        """A hidden id: anything but a number is treated as no warning, and the draft is checked again."""
        value = self.cleaned_data["nudge"]
        return int(value) if value.isdigit() and len(value) <= 18 else None
