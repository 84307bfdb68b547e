"""Forms shared by the web UI and the admin: both call the same services."""

from __future__ import annotations

from django import forms

from registry.models import Stage
from registry_site import inputs
from registry_site.errors import RegistryError

OVERRIDE_HELP = "Staff only: promote despite failing policy checks (the comment must say why)."


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices, required=False)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4096)
    archive_existing = forms.BooleanField(
        required=False, help_text="Move the versions now holding this stage to Archived."
    )
    override = forms.BooleanField(required=False, help_text=OVERRIDE_HELP)

    def __init__(self, *args, current: str | None = None, **kwargs):
        """`current`: the version's stage, which is not a move and so not offered."""
        super().__init__(*args, **kwargs)
        if current is not None:
            others = [choice for choice in Stage.choices if choice[0] != current]
            self.fields["stage"].choices = [("", "Move to…"), *others]


class AliasForm(forms.Form):
    alias = forms.CharField(max_length=256, help_text="e.g. champion")
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4096)
    override = forms.BooleanField(required=False, help_text=OVERRIDE_HELP)


class ApprovalForm(forms.Form):
    target = forms.CharField(max_length=256)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 1}), required=False, max_length=4096)


class JSONTextField(forms.CharField):
    """Optional JSON text of one kind (object or list); errors say what is wrong."""

    def __init__(self, *, kind: type, **kwargs):
        self.kind = kind
        super().__init__(required=False, widget=forms.Textarea(attrs={"rows": 2}), **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return inputs.json_of_kind(text, self.kind)
        except RegistryError as exc:
            raise forms.ValidationError(exc.message) from None


class UploadForm(forms.Form):
    name = forms.CharField(max_length=256, label="Model name")
    file = forms.FileField(help_text="joblib/pickle, skops, or an MLflow model directory as zip or tar.gz")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    params = JSONTextField(kind=dict, help_text='JSON object, e.g. {"C": 1.0}')
    metrics = JSONTextField(kind=dict, help_text='JSON object, e.g. {"accuracy": 0.97}')
    inputs = JSONTextField(kind=list, help_text='JSON list of dataset URIs, e.g. ["s3://data/train.csv"]')
