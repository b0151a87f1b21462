from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    # Not EmailField: Unicode local parts are valid addresses and must be able to log in.
    email = forms.CharField(label=_("Email address"), max_length=254)
    password = forms.CharField(
        label=_("Password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    connection = forms.CharField(widget=forms.HiddenInput, max_length=128)
    email.widget.attrs.update(autocomplete="username", autofocus=True)
    password.widget.attrs.update(autocomplete="current-password")


class AccountPasswordForm(forms.Form):
    """The signed-in user's own change: current password, then the new one twice."""

    current_password = forms.CharField(
        label=_("Current password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password = forms.CharField(
        label=_("New password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("Confirm new password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    current_password.widget.attrs.update(autocomplete="current-password")
    password.widget.attrs.update(autocomplete="new-password")
    password2.widget.attrs.update(autocomplete="new-password")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") != data.get("password"):
            self.add_error("password2", _("The two passwords do not match."))
        return data
