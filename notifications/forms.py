from django import forms

from notifications.models import Frequency, Kind


class EmailSettingsForm(forms.Form):
    """One choice of frequency per kind (heat-guard alerts only for moderators)."""

    def __init__(self, *args, kinds: list[Kind], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=Frequency.choices, widget=forms.RadioSelect
            )
