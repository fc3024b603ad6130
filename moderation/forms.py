from django import forms

from moderation.models import Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with this comment?", choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Anything the moderators should know (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
