"""Applications: creation, origins, login route, connections, Management API grant, secrets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import Application, ClientGrant
from accounts.scopes import management_audience
from accounts.services import (
    application_create,
    application_secret_rotate,
    application_sign_in_update,
    application_update,
    grant_set,
)
from dashboard.forms import (
    ApplicationCreateForm,
    ApplicationForm,
    DangerForm,
    GrantForm,
    SignInSettingsForm,
)
from dashboard.permissions import StaffView, administrator_required, reauth_needed, staff_audit
from emails.sealing import SealBroken, seal, unseal

# A new application's client secret, sealed, between its creation and the page that shows it.
NEW_SECRET_SESSION_KEY = "dashboard.new_client_secret"
NEW_SECRET_MAX_AGE = 300


class ApplicationListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "dashboard/applications/list.html",
            {
                "applications": Application.objects.all(),
                "can_edit": bool(getattr(request.user, "is_administrator", False)),
                "nav": "applications",
            },
        )


class ApplicationCreateView(StaffView):
    """A new application (administrators only); its client secret is shown once, on its page.

    The POST redirects (a refresh creates nothing twice); the secret crosses the redirect sealed
    in the session (``_new_secret_keep``) and is dropped from it by the page that shows it.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        administrator_required(request)
        return self.render(ApplicationCreateForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApplicationCreateForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        data = form.cleaned_data
        application, secret = application_create(
            name=data["name"],
            app_type=data["app_type"],
            audit=staff_audit(request),
            allowed_origins=data["allowed_origins_text"],
            default_login_route=data["default_login_route"],
            enabled_connections=data["enabled_connections"],
            language=data["language"],
            callbacks=data["callbacks"],
            allowed_logout_urls=data["allowed_logout_urls"],
            web_origins=data["web_origins"],
        )
        if secret:
            _new_secret_keep(request, application, secret)
        messages.success(request, _("Application created."))
        return redirect("dashboard:application-detail", client_id=application.client_id)

    def render(self, form: ApplicationCreateForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "dashboard/applications/create.html",
            {"form": form, "nav": "applications"},
            status=status,
        )


def _new_secret_keep(request: HttpRequest, application: Application, secret: str) -> None:
    """Keep a new client secret, sealed, for the one page that shows it after a redirect."""
    request.session[NEW_SECRET_SESSION_KEY] = seal(
        {"client_id": application.client_id, "secret": secret}
    )


def _new_secret(request: HttpRequest, application: Application) -> str:
    """The client secret of an application just created, once: it leaves the session here."""
    sealed = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    if not isinstance(sealed, str):
        return ""
    try:
        payload = unseal(sealed, max_age=NEW_SECRET_MAX_AGE)
    except SealBroken:
        return ""
    return payload["secret"] if payload.get("client_id") == application.client_id else ""


def _grant_form(application: Application, data: Any = None) -> GrantForm:
    grant = ClientGrant.objects.filter(
        application=application, audience=management_audience()
    ).first()
    initial = {"enabled": grant is not None, "scopes": grant.scopes if grant else []}
    return GrantForm(data, initial=initial)


class ApplicationDetailView(StaffView):
    def get(self, request: HttpRequest, client_id: str) -> HttpResponse:
        application = get_object_or_404(Application, client_id=client_id)
        return self.render(
            application,
            ApplicationForm(instance=application),
            new_secret=_new_secret(request, application),
        )

    def post(self, request: HttpRequest, client_id: str) -> HttpResponse:
        application = get_object_or_404(Application, client_id=client_id)
        form = ApplicationForm(request.POST, instance=application)
        if not form.is_valid():
            return self.render(application, form, status=400)
        application_update(
            application=application,
            audit=staff_audit(request),
            name=form.cleaned_data["name"],
            allowed_origins=form.cleaned_data["allowed_origins_text"],
            default_login_route=form.cleaned_data["default_login_route"],
            enabled_connections=form.cleaned_data["enabled_connections"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Application saved."))
        return redirect("dashboard:application-detail", client_id=application.client_id)

    def render(
        self,
        application: Application,
        form: ApplicationForm,
        status: int = 200,
        grant_form: GrantForm | None = None,
        secret_form: DangerForm | None = None,
        new_secret: str = "",
        sign_in_form: SignInSettingsForm | None = None,
    ) -> HttpResponse:
        can_edit = bool(getattr(self.request.user, "is_administrator", False))
        grant_form = grant_form or _grant_form(application)
        sign_in_form = sign_in_form or SignInSettingsForm.for_application(application)
        if not can_edit:
            for f in (form, grant_form, sign_in_form):
                for field in f.fields.values():
                    field.disabled = True
        context: dict[str, Any] = {
            "application": application,
            "form": form,
            "grant_form": grant_form,
            "sign_in_form": sign_in_form,
            "audience": management_audience(),
            "secret_form": secret_form
            or DangerForm(request=self.request, reauth=reauth_needed(self.request)),
            "new_secret": new_secret,
            "can_edit": can_edit,
            "nav": "applications",
        }
        return render(self.request, "dashboard/applications/detail.html", context, status=status)


class ApplicationGrantView(ApplicationDetailView):
    def get(self, request: HttpRequest, client_id: str) -> HttpResponse:
        return redirect("dashboard:application-detail", client_id=client_id)

    def post(self, request: HttpRequest, client_id: str) -> HttpResponse:
        application = get_object_or_404(Application, client_id=client_id)
        form = GrantForm(request.POST)
        if not form.is_valid():
            return self.render(
                application, ApplicationForm(instance=application), status=400, grant_form=form
            )
        grant_set(
            application=application,
            audience=management_audience(),
            scopes=form.cleaned_data["scopes"] if form.cleaned_data["enabled"] else None,
            audit=staff_audit(request),
        )
        messages.success(request, _("Management API access saved."))
        return redirect("dashboard:application-detail", client_id=application.client_id)


class ApplicationSignInView(ApplicationDetailView):
    """Callbacks, logout URLs, web origins, grant types and refresh tokens (Auth0's settings)."""

    def get(self, request: HttpRequest, client_id: str) -> HttpResponse:
        return redirect("dashboard:application-detail", client_id=client_id)

    def post(self, request: HttpRequest, client_id: str) -> HttpResponse:
        application = get_object_or_404(Application, client_id=client_id)
        form = SignInSettingsForm(request.POST)
        if not form.is_valid():
            return self.render(
                application, ApplicationForm(instance=application), status=400, sign_in_form=form
            )
        application_sign_in_update(
            application=application,
            audit=staff_audit(request),
            **form.cleaned_data,
        )
        messages.success(request, _("Sign-in settings saved."))
        return redirect("dashboard:application-detail", client_id=application.client_id)


@method_decorator(sensitive_post_parameters("current_password"), name="dispatch")
class ApplicationSecretRotateView(ApplicationDetailView):
    """Rotates the client secret, then redirects to the page that shows the new one, once.

    As after a creation: a refresh of that page does not rotate the secret again.
    """

    def get(self, request: HttpRequest, client_id: str) -> HttpResponse:
        return redirect("dashboard:application-detail", client_id=client_id)

    def post(self, request: HttpRequest, client_id: str) -> HttpResponse:
        application = get_object_or_404(Application, client_id=client_id)
        form = DangerForm(request.POST, request=request, reauth=reauth_needed(request))
        if not form.is_valid():
            return self.render(
                application, ApplicationForm(instance=application), status=400, secret_form=form
            )
        secret = application_secret_rotate(
            application=application,
            audit=staff_audit(request),
        )
        _new_secret_keep(request, application, secret)
        return redirect("dashboard:application-detail", client_id=application.client_id)
