"""Dashboard forms. They validate input only; every rule lives in the services they feed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import ratelimit
from accounts.models import (
    Application,
    Connection,
    LogType,
    PolicyLevel,
    RefreshTokenRotation,
    email_key,
)
from accounts.scopes import MANAGEMENT_API_SCOPES
from accounts.selectors import tenant_connections
from dashboard.emails import sample_context
from dashboard.permissions import otp_token_matches, password_entered
from emails.models import DeliveryStatus, EmailTemplate
from emails.rendering import TemplateRenderError, TemplateTooLarge, liquid_render


class DangerForm(forms.Form):
    """What every Danger Zone action asks: a reason, and maybe the staff member's password.

    The confirmation is the step itself: a dialog (or page) naming the user and the action,
    whose button says what it does. Controls come in one order on every action: the action's
    own fields, the reason, the staff member's password, then the buttons.
    """

    reason = forms.CharField(
        label=_("Reason (optional, kept in the log)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    current_password = forms.CharField(
        label=_("Your own password"),
        strip=False,
        required=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("You have not entered your password in the last 10 minutes."),
    )

    def __init__(self, *args: Any, request: HttpRequest, reauth: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.reauth = reauth
        if not reauth:
            del self.fields["current_password"]
        else:
            self.fields["current_password"].required = True

    def clean_current_password(self) -> str:
        password = self.cleaned_data.get("current_password", "")
        staff: Any = self.request.user
        decision = ratelimit.hit(
            "reauth", ip=self.request.META.get("REMOTE_ADDR"), key=email_key(staff.email)
        )
        if not decision.allowed:
            raise ValidationError(_("Too many attempts. Try again later."), code="rate_limited")
        if not staff.check_password(password):
            raise ValidationError(_("That is not your password."), code="reauth_failed")
        password_entered(self.request)
        return ""  # never carried further than this check


class PasswordChangeForm(DangerForm):
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("Confirm new password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = ["new_password1", "new_password2", "reason", "current_password"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two passwords do not match."))
        return data


class AccountPasswordForm(PasswordChangeForm):
    """A staff member's own change: the current password always, the second factor if set up."""

    otp_token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    field_order = ["current_password", "otp_token", "new_password1", "new_password2"]

    def __init__(self, *args: Any, request: HttpRequest, otp_required: bool, **kwargs: Any):
        super().__init__(*args, request=request, reauth=True, **kwargs)
        del self.fields["reason"]
        self.fields["current_password"].label = _("Current password")
        self.fields["current_password"].help_text = ""
        self.otp_required = otp_required
        if otp_required:
            self.fields["otp_token"].required = True
        else:
            del self.fields["otp_token"]

    def clean_otp_token(self) -> str:
        token = self.cleaned_data.get("otp_token", "").strip()
        user: Any = self.request.user
        if not otp_token_matches(user, token):
            raise ValidationError(_("That code is not valid."), code="otp_invalid")
        return ""


class BlockForm(DangerForm):
    blocked = forms.TypedChoiceField(
        choices=[("1", "block"), ("0", "unblock")],
        coerce=lambda v: v == "1",
        widget=forms.HiddenInput,
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=254)
    connection = forms.ChoiceField(label=_("Connection"), required=False)
    blocked = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("no", _("Active")), ("yes", _("Blocked"))],
    )
    cursor = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)
    sort = forms.ChoiceField(
        required=False,
        choices=[(v, v) for v in ("email", "-email", "created", "-created")],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            type="search", placeholder=_("Email, name, domain or user_id"), autocomplete="off"
        )
        choices: list[tuple[str, Any]] = [("", _("All connections"))]
        choices += [(c.id, c.name) for c in tenant_connections().only("id", "name")]
        self.fields["connection"].choices = choices  # type: ignore[attr-defined]


class LogSearchForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *LogType.choices]
    )
    user = forms.CharField(label=_("User (email or user_id)"), required=False, max_length=254)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    cursor = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)


class ConnectionPolicyForm(forms.ModelForm):
    dictionary_text = forms.CharField(
        label=_("Dictionary words (one a line, up to 200)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Connection
        fields = [
            "password_policy",
            "min_length",
            "history_enable",
            "history_size",
            "no_personal_info",
            "dictionary_enable",
            "password_reset_method",
        ]
        labels = {
            "password_reset_method": _("A forgotten password is reset with"),
            "password_policy": _("Password strength"),
            "min_length": _("Minimum length (1-128, overrides the level's)"),
            "history_enable": _("Refuse recent passwords"),
            "history_size": _("How many recent passwords (up to 24)"),
            "no_personal_info": _("Refuse personal information (name, email, ...)"),
            "dictionary_enable": _("Refuse common passwords and the dictionary below"),
        }
        widgets = {"password_policy": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password_policy"].choices = PolicyLevel.choices  # type: ignore[attr-defined]
        self.fields["password_reset_method"].required = False  # not sent: left as it is
        if not self.is_bound:
            self.initial["dictionary_text"] = "\n".join(self.instance.dictionary or [])

    def clean_min_length(self) -> int | None:
        value = self.cleaned_data.get("min_length")
        if value is not None and not 1 <= value <= 128:
            raise ValidationError(_("Between 1 and 128."))
        return value

    def clean_history_size(self) -> int:
        value = self.cleaned_data.get("history_size") or 0
        if not 0 <= value <= 24:
            raise ValidationError(_("Between 0 and 24."))
        return value

    def clean_dictionary_text(self) -> list[str]:
        words = [w.strip() for w in self.cleaned_data.get("dictionary_text", "").splitlines()]
        words = [w for w in words if w]
        if len(words) > 200:
            raise ValidationError(_("At most 200 words."))
        return words

    def policy_fields(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for ``connection_policy_update``."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["dictionary"] = self.cleaned_data["dictionary_text"]
        data["password_reset_method"] = data["password_reset_method"] or None
        return data


class TryPasswordForm(ConnectionPolicyForm):
    """The policy being edited plus a password to check against it (nothing is saved)."""

    password = forms.CharField(strip=False, required=False, max_length=1024)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ApplicationForm(forms.ModelForm):
    allowed_origins_text = forms.CharField(
        label=_("Allowed origins (CORS), one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Scheme, host and port only, e.g. https://app.example.com"),
    )

    class Meta:
        model = Application
        fields = ["name", "default_login_route", "enabled_connections", "language"]
        labels = {
            "default_login_route": _("Default login route"),
            "enabled_connections": _("Enabled connections"),
            "language": _("Email language"),
        }
        widgets = {
            "enabled_connections": forms.CheckboxSelectMultiple,
            "language": forms.Select(
                choices=[("", _("The user's language")), ("en", "English"), ("ja", "日本語")]
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The staff realm is never a tenant application's connection.
        self.fields["enabled_connections"].queryset = tenant_connections()  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["allowed_origins_text"] = "\n".join(self.instance.allowed_origins or [])

    def clean_allowed_origins_text(self) -> list[str]:
        origins = _lines(self.cleaned_data.get("allowed_origins_text", ""))
        check = URLValidator(schemes=["http", "https"])
        for origin in origins:
            try:
                check(origin)
            except ValidationError:
                raise ValidationError(
                    _("%(origin)s is not an origin.") % {"origin": origin}
                ) from None
            if origin.rstrip("/").count("/") > 2:
                raise ValidationError(
                    _("%(origin)s has a path; an origin has none.") % {"origin": origin}
                )
        return [o.rstrip("/") for o in origins]

    def clean_language(self) -> str:
        value = self.cleaned_data.get("language", "")
        if value and value not in {"en", "ja"}:
            raise ValidationError(_("en or ja, or empty."))
        return value


class GrantForm(forms.Form):
    enabled = forms.BooleanField(label=_("Authorised for the Management API"), required=False)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        required=False,
        choices=[(s, s) for s in MANAGEMENT_API_SCOPES],
        widget=forms.CheckboxSelectMultiple,
    )


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EmailTemplateForm(forms.ModelForm):
    """An email template as staff edit it; the Liquid must parse and render with sample data."""

    class Meta:
        model = EmailTemplate
        fields = [
            "subject",
            "body",
            "from_address",
            "url_lifetime_in_seconds",
            "result_url",
            "include_email_in_redirect",
            "enabled",
        ]
        labels = {
            "body": _("Body (HTML with Liquid)"),
            "from_address": _("From (empty: the default sender)"),
            "url_lifetime_in_seconds": _("URL lifetime (seconds)"),
            "result_url": _("Redirect to after the reset (result URL)"),
            "include_email_in_redirect": _("Include the email in the redirect"),
            "enabled": _("Enabled"),
        }
        widgets = {
            "body": forms.Textarea(attrs={"rows": 14, "class": "code", "spellcheck": "false"})
        }

    def clean_url_lifetime_in_seconds(self) -> int:
        value = self.cleaned_data.get("url_lifetime_in_seconds") or 0
        if not 60 <= value <= 30 * 86400:
            raise ValidationError(_("Between 60 seconds and 30 days."))
        return value

    def _liquid(self, field: str, autoescape: bool) -> str:
        source = self.cleaned_data.get(field, "")
        try:
            liquid_render(source, sample_context(self.instance), autoescape=autoescape)
        except TemplateTooLarge as exc:
            raise ValidationError(exc.message) from None
        except TemplateRenderError as exc:
            raise ValidationError(_("Liquid error: %(e)s") % {"e": exc.message}) from None
        return source

    def clean_subject(self) -> str:
        return self._liquid("subject", autoescape=False)

    def clean_body(self) -> str:
        return self._liquid("body", autoescape=True)

    def template_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *DeliveryStatus.choices]
    )
    cursor = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)


GRANT_TYPE_CHOICES = [
    ("authorization_code", _("Authorization Code")),
    ("refresh_token", _("Refresh Token")),
    ("client_credentials", _("Client Credentials")),
    ("password", _("Password")),
    ("http://auth0.com/oauth/grant-type/password-realm", _("Password Realm")),
]


class SignInUrlsForm(forms.Form):
    """An application's sign-in URLs, checked one a line: the edit and the create forms'."""

    callbacks = forms.CharField(
        label=_("Allowed callback URLs, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allowed_logout_urls = forms.CharField(
        label=_("Allowed logout URLs, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    web_origins = forms.CharField(
        label=_("Allowed web origins, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @staticmethod
    def _urls(text: str, *, origins: bool) -> list[str]:
        check = URLValidator(schemes=["http", "https"])
        urls = _lines(text)
        for url in urls:
            try:
                check(url)
            except ValidationError:
                raise ValidationError(_("%(url)s is not a URL.") % {"url": url}) from None
            if "*" in url:
                raise ValidationError(_("%(url)s: wildcards are not allowed.") % {"url": url})
            if origins and url.rstrip("/").count("/") > 2:
                raise ValidationError(
                    _("%(origin)s has a path; an origin has none.") % {"origin": url}
                )
        return [u.rstrip("/") for u in urls] if origins else urls

    def clean_callbacks(self) -> list[str]:
        return self._urls(self.cleaned_data.get("callbacks", ""), origins=False)

    def clean_allowed_logout_urls(self) -> list[str]:
        return self._urls(self.cleaned_data.get("allowed_logout_urls", ""), origins=False)

    def clean_web_origins(self) -> list[str]:
        return self._urls(self.cleaned_data.get("web_origins", ""), origins=True)


class SignInSettingsForm(SignInUrlsForm):
    """How users sign in to an application (Auth0's application settings)."""

    grant_types = forms.MultipleChoiceField(
        label=_("Grant types"),
        required=False,
        choices=GRANT_TYPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    refresh_token_rotation = forms.ChoiceField(
        label=_("Refresh token rotation"), choices=RefreshTokenRotation.choices
    )
    refresh_token_lifetime = forms.IntegerField(
        label=_("Refresh token absolute lifetime (seconds)"), min_value=60, max_value=31557600
    )
    refresh_token_idle_lifetime = forms.IntegerField(
        label=_("Refresh token idle lifetime (seconds)"), min_value=60, max_value=31557600
    )

    @classmethod
    def for_application(cls, application: Application, data: Any = None) -> SignInSettingsForm:
        from accounts.oidc.server import grant_allowed

        initial = {
            "callbacks": "\n".join(application.callbacks or []),
            "allowed_logout_urls": "\n".join(application.allowed_logout_urls or []),
            "web_origins": "\n".join(application.web_origins or []),
            "grant_types": [
                value
                for value, _label in GRANT_TYPE_CHOICES
                if grant_allowed(application, value)
                and (value != "client_credentials" or not application.is_public_client)
            ],
            "refresh_token_rotation": application.refresh_token_rotation,
            "refresh_token_lifetime": application.refresh_token_lifetime,
            "refresh_token_idle_lifetime": application.refresh_token_idle_lifetime,
        }
        return cls(data, initial=initial)


class ApplicationCreateForm(ApplicationForm, SignInUrlsForm):
    """A new application: its type, and the settings and sign-in URLs the edit forms have."""

    field_order = ["name", "app_type", "callbacks", "allowed_logout_urls", "web_origins"]

    class Meta(ApplicationForm.Meta):
        fields = ["name", "app_type", "default_login_route", "enabled_connections", "language"]
        labels = {**ApplicationForm.Meta.labels, "app_type": _("Application type")}
        widgets = {**ApplicationForm.Meta.widgets, "app_type": forms.RadioSelect}
