"""The Danger Zone: each action is a page that asks to confirm, for a reason and maybe the
staff member's own password, then calls one service. Administrators only, checked here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import User
from accounts.policy import policy_rules
from accounts.services import (
    Door,
    PasswordChangeError,
    PasswordPolicyError,
    password_change_allowed,
    password_set,
    sessions_expire,
    user_block_set,
)
from dashboard.actions import reset_email_send, reset_link_generate
from dashboard.forms import BlockForm, DangerForm, PasswordChangeForm
from dashboard.permissions import StaffView, administrator_required, reauth_needed
from dashboard.views.users import danger_context, user_get


@method_decorator(
    sensitive_post_parameters("current_password", "new_password1", "new_password2"),
    name="dispatch",
)
class DangerActionView(StaffView):
    form_class: type[DangerForm] = DangerForm
    template_name = "dashboard/users/danger_action.html"
    action = ""
    title: Any = ""
    explanation: Any = ""
    button: Any = ""

    def get(self, request: HttpRequest, user_id: str) -> HttpResponse:
        # Viewers never get an action form, not only a disabled button.
        administrator_required(request)
        target = user_get(user_id)
        return self.render(self.form(request, target, data=None), target)

    def post(self, request: HttpRequest, user_id: str) -> HttpResponse:
        target = user_get(user_id)
        form = self.form(request, target, data=request.POST)
        if not form.is_valid():
            return self.render(form, target, status=400)
        return self.perform(form, target)

    def form(self, request: HttpRequest, target: User, data: Any) -> DangerForm:
        return self.form_class(
            data, request=request, reauth=reauth_needed(request), **self.form_kwargs(target)
        )

    def form_kwargs(self, target: User) -> dict[str, Any]:
        return {}

    def perform(self, form: Any, target: User) -> HttpResponse:
        raise NotImplementedError

    def render(
        self, form: DangerForm, target: User, status: int = 200, **extra: Any
    ) -> HttpResponse:
        context = danger_context(self.request, target)
        context.update(
            form=form,
            action=self.action,
            title=self.title,
            explanation=self.explanation,
            button=self.button,
            **extra,
        )
        return render(self.request, self.template_name, context, status=status)

    def done(self, target: User, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect("dashboard:user-detail", user_id=target.user_id)


class PasswordChangeView(DangerActionView):
    form_class = PasswordChangeForm
    action = "password"
    title = gettext_lazy("Change password")
    explanation = gettext_lazy(
        "Sets a new password now. The user's sessions and tokens end, and they must log in "
        "with the new password. Prefer sending a reset email: then nobody but the user knows it."
    )
    button = gettext_lazy("Save")

    def render(
        self, form: DangerForm, target: User, status: int = 200, **extra: Any
    ) -> HttpResponse:
        rules = policy_rules(target.connection) if target.connection.is_database else []
        return super().render(form, target, status, rules=rules, **extra)

    def perform(self, form: Any, target: User) -> HttpResponse:
        try:
            password_set(
                user=target,
                password=form.cleaned_data["new_password1"],
                door=Door.DASHBOARD,
                actor=self.request.user,  # type: ignore[arg-type]
                request=self.request,
                reason=form.cleaned_data["reason"],
            )
        except PasswordPolicyError as exc:
            for failure in exc.failures:
                form.add_error("new_password1", failure.message)
            return self.render(form, target, status=400)
        except PasswordChangeError as exc:
            form.add_error(None, exc.message)
            return self.render(form, target, status=400)
        return self.done(target, _("Password changed. The user's sessions have ended."))


class ForceSignInView(DangerActionView):
    action = "force-sign-in"
    title = gettext_lazy("Force sign in")
    explanation = gettext_lazy(
        "Ends every session and token of the user. They must log in again everywhere."
    )
    button = gettext_lazy("Force sign in")

    def perform(self, form: Any, target: User) -> HttpResponse:
        count = sessions_expire(
            user=target,
            actor=self.request.user,  # type: ignore[arg-type]
            request=self.request,
            reason=form.cleaned_data["reason"],
        )
        return self.done(target, _("Signed out of %(n)d sessions.") % {"n": count})


class BlockView(DangerActionView):
    form_class = BlockForm
    action = "block"

    def form(self, request: HttpRequest, target: User, data: Any) -> DangerForm:
        form = super().form(request, target, data)
        form.fields["blocked"].initial = "0" if target.blocked else "1"
        return form

    def render(
        self, form: DangerForm, target: User, status: int = 200, **extra: Any
    ) -> HttpResponse:
        if target.blocked:
            self.title = _("Unblock user")
            self.explanation = _("The user will be able to log in again.")
            self.button = _("Unblock")
        else:
            self.title = _("Block user")
            self.explanation = _(
                "The user cannot log in until unblocked; their sessions and tokens end now."
            )
            self.button = _("Block")
        return super().render(form, target, status, **extra)

    def perform(self, form: Any, target: User) -> HttpResponse:
        blocked = form.cleaned_data["blocked"]
        user_block_set(
            user=target,
            blocked=blocked,
            actor=self.request.user,  # type: ignore[arg-type]
            request=self.request,
            reason=form.cleaned_data["reason"],
        )
        return self.done(target, _("User blocked.") if blocked else _("User unblocked."))


class ResetEmailView(DangerActionView):
    action = "reset-email"
    title = gettext_lazy("Send password reset email")
    explanation = gettext_lazy(
        "Sends the same email as the forgot-password page, to the address on file. The user "
        "chooses the new password; nobody else sees it."
    )
    button = gettext_lazy("Send email")

    def perform(self, form: Any, target: User) -> HttpResponse:
        outcome = reset_email_send(
            user=target,
            actor=self.request.user,  # type: ignore[arg-type]
            request=self.request,
            reason=form.cleaned_data["reason"],
        )
        if not outcome.sent:
            # Staff may know why (the self-service page never says).
            form.add_error(None, _("No email was sent: %(why)s.") % {"why": outcome.reason})
            return self.render(form, target, status=400)
        return self.done(
            target, _("Password reset email queued for %(email)s.") % {"email": target.email}
        )


class ResetLinkView(DangerActionView):
    action = "reset-link"
    title = gettext_lazy("Generate password reset link")
    explanation = gettext_lazy(
        "Creates a one-time link that lets whoever holds it set this user's password. "
        "Older links of the user stop working."
    )
    button = gettext_lazy("Generate link")
    template_name = "dashboard/users/reset_link.html"

    def perform(self, form: Any, target: User) -> HttpResponse:
        if why := password_change_allowed(target):
            form.add_error(None, why)
            return self.render(form, target, status=400)
        ticket, url = reset_link_generate(
            user=target,
            actor=self.request.user,  # type: ignore[arg-type]
            request=self.request,
            reason=form.cleaned_data["reason"],
        )
        # Rendered in this response only (never_cache): the link is not kept anywhere to show.
        return self.render(form, target, ticket_link=url, ticket=ticket)
