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
