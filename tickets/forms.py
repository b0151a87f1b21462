"""Forms of the hosted reset pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def email_shape_check(value: str) -> None:
    # Deliberately loose: any Unicode address is looked up (and matches nobody if it is
    # nobody's); Django's EmailField would refuse non-ASCII local parts with a different answer.
    local, _sep, domain = value.rpartition("@")
    if not local or not domain or any(c.isspace() for c in value):
        raise ValidationError(_("Enter a valid email address."), code="invalid")


class ResetRequestForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"), max_length=254, validators=[email_shape_check]
    )
    connection = forms.CharField(
        widget=forms.HiddenInput, max_length=128, initial=settings.REKEY_DEFAULT_CONNECTION
    )
    email.widget.attrs.update(autocomplete="email", autofocus=True, inputmode="email")


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("Confirm new password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password.widget.attrs.update(autocomplete="new-password", autofocus=True)
    password2.widget.attrs.update(autocomplete="new-password")

    def clean(self) -> dict:
        data = super().clean() or {}
        if (
            data.get("password") is not None
            and data.get("password2") is not None
            and data["password"] != data["password2"]
        ):
            self.add_error("password2", _("The two passwords do not match."))
        return data
