"""The Danger Zone: each action asks for a reason and maybe the staff member's own password,
then calls one service. Administrators only, checked here.

The user's page opens each action in a dialog that posts here with ``fetch``; the answer is
JSON (errors to show beside the typed values, which stay in the browser, or where to go next).
Without JavaScript each action is a page of its own with the same form.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters

from accounts.bruteforce import login_blocks_of_user, login_blocks_release
from accounts.models import User
from accounts.policy import policy_failures_split, policy_refusal_text, policy_rules
from accounts.services import (
    Audit,
    PasswordChangeError,
    PasswordPolicyError,
    password_change_allowed,
    password_set,
    sessions_expire,
    user_block_set,
)
from accounts.services.authenticators import authenticators_delete
from dashboard.forms import BlockForm, DangerForm, PasswordChangeForm
from dashboard.permissions import StaffView, administrator_required, reauth_needed, staff_audit
from dashboard.views.users import danger_context, user_get
from tickets.models import TicketDoor
from tickets.requests import reset_request_check
from tickets.services import ticket_issue, ticket_url


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
        target = self.target_get(user_id)
        return self.render(self.form(request, target, data=None), target)

    def post(self, request: HttpRequest, user_id: str) -> HttpResponse:
        target = self.target_get(user_id)
        form = self.form(request, target, data=request.POST)
        if not form.is_valid():
            return self.render(form, target, status=400)
        return self.perform(form, target)

    @property
    def in_dialog(self) -> bool:
        """True when the user page's dialog posted (and wants JSON back)."""
        return self.request.headers.get("X-Requested-With") == "fetch"

    def form(self, request: HttpRequest, target: User, data: Any) -> DangerForm:
        return self.form_class(
            data, request=request, reauth=reauth_needed(request), **self.form_kwargs(target)
        )

    def form_kwargs(self, target: User) -> dict[str, Any]:
        return {}

    def texts(self, target: User) -> dict[str, Any]:
        """The title, explanation and button of this action on this user."""
        return {"title": self.title, "explanation": self.explanation, "button": self.button}

    def url(self, target: User) -> str:
        return reverse(f"dashboard:user-{self.action}", args=[target.user_id])

    def dialog(self, target: User) -> dict[str, Any]:
        """What the user's page needs to offer this action in a dialog."""
        # Always with the password box: the dialog shows it only when re-authentication is
        # due, and can reveal it if the window closes while the dialog is open.
        form = self.form_class(
            None,
            request=self.request,
            reauth=True,
            auto_id=f"id_{self.action}_%s",
            **self.form_kwargs(target),
        )
        self.form_initial(form, target)
        return {
            "action": self.action,
            "url": self.url(target),
            "form": form,
            "reauth": reauth_needed(self.request),
            "rules": self.dialog_rules(target),
            "primary": self.is_primary(target),
            **self.texts(target),
        }

    def form_initial(self, form: DangerForm, target: User) -> None:
        pass

    def dialog_rules(self, target: User) -> list[dict[str, Any]]:
        return []

    def is_primary(self, target: User) -> bool:
        """True for an action that undoes harm (Unblock): styled as a normal action."""
        return False

    def target_get(self, user_id: str) -> User:
        """The user acted on: a tenant's user here, a staff member on the staff pages."""
        return user_get(user_id)

    def back_url(self, target: User) -> str:
        return reverse("dashboard:user-detail", args=[target.user_id])

    def perform(self, form: Any, target: User) -> HttpResponse:
        raise NotImplementedError

    def audit(self, form: Any) -> Audit:
        """The ``Audit`` of this action: the staff member, their request and their reason."""
        return staff_audit(self.request, reason=form.cleaned_data.get("reason", ""))

    def render(
        self, form: DangerForm, target: User, status: int = 200, **extra: Any
    ) -> HttpResponse:
        if self.in_dialog and status >= 400:
            # Only what went wrong: the typed values are still in the dialog, never echoed.
            return JsonResponse(
                {
                    "errors": form.errors.get_json_data(),
                    "failed_codes": extra.get("failed_codes", []),
                },
                status=status,
            )
        context = danger_context(self.request, target)
        context.update(
            form=form,
            action=self.action,
            back_url=self.back_url(target),
            primary=self.is_primary(target),
            **self.texts(target),
            **extra,
        )
        return render(self.request, self.template_name, context, status=status)

    def done(self, target: User, message: str) -> HttpResponse:
        messages.success(self.request, message)
        if self.in_dialog:
            return JsonResponse({"redirect": self.back_url(target)})
        return redirect(self.back_url(target))


class PasswordChangeView(DangerActionView):
    form_class = PasswordChangeForm
    action = "password"
    title = gettext_lazy("Change password")
    explanation = gettext_lazy(
        "Sets a new password now. The user's sessions and tokens end, and they must log in "
        "with the new password. Prefer sending a reset email: then nobody but the user knows it."
    )
    button = gettext_lazy("Save")

    def url(self, target: User) -> str:
        return reverse("dashboard:user-password-change", args=[target.user_id])

    def dialog_rules(self, target: User) -> list[dict[str, Any]]:
        rules = policy_rules(target.connection) if target.connection.is_database else []
        for rule in rules:
            rule["code"] = str(rule["code"])
        return rules

    def render(
        self, form: DangerForm, target: User, status: int = 200, **extra: Any
    ) -> HttpResponse:
        return super().render(form, target, status, rules=self.dialog_rules(target), **extra)

    def perform(self, form: Any, target: User) -> HttpResponse:
        try:
            password_set(
                user=target, password=form.cleaned_data["new_password1"], audit=self.audit(form)
            )
        except PasswordPolicyError as exc:
            rules = policy_rules(target.connection)
            codes, unshown = policy_failures_split(rules, exc.failures)
            form.add_error("new_password1", policy_refusal_text(unshown))
            return self.render(form, target, status=400, failed_codes=codes)
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
        count = sessions_expire(user=target, audit=self.audit(form))
        message = ngettext(
            "Signed out of %(n)d session.", "Signed out of %(n)d sessions.", count
        ) % {"n": count}
        return self.done(target, message)


class AuthenticatorsDeleteView(DangerActionView):
    action = "authenticators"
    title = gettext_lazy("Remove authenticators")
    explanation = gettext_lazy(
        "Removes the user's authenticator app and recovery codes. Their password resets no "
        "longer ask for a second factor until they add one again."
    )
    button = gettext_lazy("Remove authenticators")

    def perform(self, form: Any, target: User) -> HttpResponse:
        count = authenticators_delete(user=target, audit=self.audit(form))
        return self.done(target, _("%(n)d authenticators removed.") % {"n": count})


class BlockView(DangerActionView):
    form_class = BlockForm
    action = "block"

    def form(self, request: HttpRequest, target: User, data: Any) -> DangerForm:
        form = super().form(request, target, data)
        self.form_initial(form, target)
        return form

    def form_initial(self, form: DangerForm, target: User) -> None:
        form.fields["blocked"].initial = "0" if target.blocked else "1"

    def is_primary(self, target: User) -> bool:
        return target.blocked

    def texts(self, target: User) -> dict[str, Any]:
        if target.blocked:
            return {
                "title": _("Unblock user"),
                "explanation": _("The user will be able to log in again."),
                "button": _("Unblock"),
            }
        return {
            "title": _("Block user"),
            "explanation": _(
                "The user cannot log in until unblocked; their sessions and tokens end now."
            ),
            "button": _("Block"),
        }

    def perform(self, form: Any, target: User) -> HttpResponse:
        blocked = form.cleaned_data["blocked"]
        user_block_set(user=target, blocked=blocked, audit=self.audit(form))
        return self.done(target, _("User blocked.") if blocked else _("User unblocked."))


class LoginUnblockView(DangerActionView):
    action = "login-unblock"
    title = gettext_lazy("Remove brute-force blocks")
    explanation = gettext_lazy(
        "Lets the addresses that brute-force protection blocked log in to this account again."
    )
    button = gettext_lazy("Unblock")

    def perform(self, form: Any, target: User) -> HttpResponse:
        count = login_blocks_release(
            blocks=login_blocks_of_user(user=target), audit=self.audit(form)
        )
        return self.done(target, _("%(n)d blocked addresses released.") % {"n": count})


class ResetEmailView(DangerActionView):
    action = "reset-email"
    title = gettext_lazy("Send password reset email")
    explanation = gettext_lazy(
        "Sends the same email as the forgot-password page, to the address on file. The user "
        "chooses the new password; nobody else sees it."
    )
    button = gettext_lazy("Send email")

    def perform(self, form: Any, target: User) -> HttpResponse:
        outcome = reset_request_check(
            email=target.email,
            connection=target.connection,
            request=self.request,
            door=TicketDoor.DASHBOARD,
            actor=self.request.user,  # type: ignore[arg-type]
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
        ticket, token = ticket_issue(user=target, audit=self.audit(form))
        # Rendered in this response only (never_cache): the link is not kept anywhere to show.
        url = ticket_url(token)
        if self.in_dialog:
            html = render_to_string(
                "dashboard/users/_reset_link_result.html",
                {"ticket_link": url, "ticket": ticket, "target": target},
                request=self.request,
            )
            return JsonResponse({"html": html})
        return self.render(form, target, ticket_link=url, ticket=ticket)


def danger_dialogs(request: HttpRequest, target: User) -> list[dict[str, Any]]:
    """The Danger Zone actions an administrator may take on this user, as dialogs."""
    views: list[DangerActionView] = []
    blocked_reason = password_change_allowed(target)
    if settings.REKEY_ALLOW_DIRECT_PASSWORD_SET and not blocked_reason:
        views.append(PasswordChangeView(request=request))
    if not blocked_reason:
        views += [ResetEmailView(request=request), ResetLinkView(request=request)]
    views += [ForceSignInView(request=request), BlockView(request=request)]
    return [view.dialog(target) for view in views]
