"""Email: templates (edit, live preview, send a test), deliveries with retry, the local inbox."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from dashboard.emails import local_inbox_in_use, provider_name, sample_context
from dashboard.forms import DeliveryFilterForm, EmailTemplateForm
from dashboard.permissions import StaffView, administrator_required, staff_audit
from dashboard.selectors import BY_CREATED, keyset_page
from emails.delivery import deliveries_retry
from emails.models import EmailDelivery, EmailTemplate, InboxMessage
from emails.rendering import TemplateRenderError, render_deadline, template_render
from emails.selectors import (
    deliveries_list,
    deliveries_retryable_ids,
    email_templates_list,
    inbox_messages_list,
)
from emails.services import email_enqueue, email_template_update, lease

# An email's HTML is shown as a document of its own in a frame of the page, with a policy of its
# own: inline styles, as a mail client renders them (the dashboard's policy, which a srcdoc
# frame would inherit, refuses them), and nothing else: no script, no form, nothing fetched but
# images. ``sandbox`` keeps it inert even when opened on its own; allow-same-origin only lets the
# page measure its height, and links open in a new tab as in a mail client.
EMAIL_DOCUMENT_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "frame-ancestors": [CSP.SELF],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "sandbox": ["allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox"],
}


def email_document(markup: str) -> HttpResponse:
    """An email's HTML body as the response (framed by the page; see EMAIL_DOCUMENT_CSP)."""
    return HttpResponse(markup, content_type="text/html; charset=utf-8")


email_document_view = method_decorator(
    [csp_override(EMAIL_DOCUMENT_CSP), xframe_options_sameorigin], name="dispatch"
)


class EmailTemplateListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "dashboard/emails/templates.html",
            {
                "templates": email_templates_list(),
                "provider": provider_name(),
                "nav": "email-templates",
            },
        )


def _template(name: str, language: str) -> EmailTemplate:
    return get_object_or_404(EmailTemplate, name=name, language=language)


class EmailTemplateDetailView(StaffView):
    def get(self, request: HttpRequest, name: str, language: str) -> HttpResponse:
        template = _template(name, language)
        return self.render(EmailTemplateForm(instance=template), template)

    def post(self, request: HttpRequest, name: str, language: str) -> HttpResponse:
        template = _template(name, language)
        form = EmailTemplateForm(request.POST, instance=template)
        # The form and the service each render the template: one time limit for all of them.
        with render_deadline():
            if not form.is_valid():
                return self.render(form, template, status=400)
            email_template_update(
                template=template,
                changes=form.template_fields(),
                audit=staff_audit(request),
            )
        messages.success(request, _("Template saved."))
        return redirect("dashboard:email-template-detail", name=name, language=language)

    def render(
        self, form: EmailTemplateForm, template: EmailTemplate, status: int = 200
    ) -> HttpResponse:
        can_edit = bool(getattr(self.request.user, "is_administrator", False))
        if not can_edit:
            for field in form.fields.values():
                field.disabled = True
        siblings = EmailTemplate.objects.filter(name=template.name).exclude(pk=template.pk)
        # No preview is rendered here: rendering is an administrator's POST (the page's script
        # asks for it), so that a viewer's GET never runs a template.
        return render(
            self.request,
            "dashboard/emails/template_detail.html",
            {
                "template": template,
                "form": form,
                "siblings": siblings,
                "can_edit": can_edit,
                "nav": "email-templates",
            },
            status=status,
        )


def _preview(template: EmailTemplate) -> dict[str, str]:
    try:
        rendered = template_render(template, sample_context(template))
    except TemplateRenderError as exc:
        return {"subject": "", "html": "", "text": "", "error": exc.message}
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text, "error": ""}


class EmailTemplatePreviewView(StaffView):
    """Renders the template as edited (unsaved) with sample data; changes nothing.

    Administrators only (a viewer's POST is refused by StaffView): rendering runs code that an
    API client or another staff member wrote, within the limits of emails.rendering.
    """

    def post(self, request: HttpRequest, name: str, language: str) -> JsonResponse:
        saved = _template(name, language)
        draft = EmailTemplate(
            name=saved.name,
            language=saved.language,
            subject=request.POST.get("subject", saved.subject)[:255],
            body=request.POST.get("body", saved.body),
            url_lifetime_in_seconds=saved.url_lifetime_in_seconds,
        )
        return JsonResponse(_preview(draft))


@email_document_view
class EmailTemplatePreviewDocumentView(StaffView):
    """The HTML of the template as edited, with sample data, as a document for the preview frame.

    Administrators only, as the JSON preview; a template that does not render gives an empty
    document (the JSON preview says why).
    """

    def post(self, request: HttpRequest, name: str, language: str) -> HttpResponse:
        saved = _template(name, language)
        draft = EmailTemplate(
            name=saved.name,
            language=saved.language,
            subject=request.POST.get("subject", saved.subject)[:255],
            body=request.POST.get("body", saved.body),
            url_lifetime_in_seconds=saved.url_lifetime_in_seconds,
        )
        return email_document(_preview(draft)["html"])


class EmailTemplateTestView(StaffView):
    """Sends the template as edited, with sample data, to the staff member's own address."""

    def post(self, request: HttpRequest, name: str, language: str) -> HttpResponse:
        template = _template(name, language)
        form = EmailTemplateForm(request.POST, instance=EmailTemplate(name=name, language=language))
        with render_deadline():
            if not form.is_valid():
                return EmailTemplateDetailView(request=request).render(form, template, status=400)
            draft = form.save(commit=False)
            try:
                rendered = template_render(draft, sample_context(draft))
            except TemplateRenderError as exc:
                messages.error(request, exc.message)
                return redirect("dashboard:email-template-detail", name=name, language=language)
        staff: Any = request.user
        email_enqueue(
            to=staff.email,
            subject=f"[Test] {rendered.subject}"[:255],
            text_body=rendered.text,
            html_body=rendered.html,
            from_address=draft.from_address,
            template_name=name,
            language=language,
        )
        messages.success(
            request, _("Test email queued for %(email)s (see Deliveries).") % {"email": staff.email}
        )
        return redirect("dashboard:email-template-detail", name=name, language=language)


class DeliveryListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = DeliveryFilterForm(request.GET)
        data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        qs = deliveries_list(status=data.get("status") or None).select_related("user")
        page = keyset_page(qs, BY_CREATED, data.get("cursor", ""))
        return render(
            request,
            "dashboard/emails/deliveries.html",
            {
                "form": form,
                "page": page,
                # A "sending" row older than its lease lost its worker: it may be retried.
                "stale_before": timezone.now() - lease(),
                "provider": provider_name(),
                "can_act": bool(getattr(request.user, "is_administrator", False)),
                "nav": "deliveries",
            },
        )


class DeliveryRetryView(StaffView):
    def post(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        delivery = get_object_or_404(EmailDelivery, pk=delivery_id)
        if delivery.has_secret and not delivery.sealed:
            # Its link was cleared when it failed for good; the stored copy has a placeholder.
            messages.error(
                request,
                _("This email held a reset link, which is gone: send a new reset email instead."),
            )
        elif deliveries_retry(ids=[delivery.pk], actor=request.user):  # type: ignore[arg-type]
            messages.success(request, _("Delivery queued again."))
        else:
            messages.error(
                request, _("Only failed deliveries and stale sending ones can be retried.")
            )
        return redirect("dashboard:delivery-list")


class DeliveryBulkRetryView(StaffView):
    """Retry the ticked deliveries, or every failed and stale sending one ("all")."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("scope") == "all":
            ids = deliveries_retryable_ids()
        else:
            ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
        count = deliveries_retry(ids=ids, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("%(count)d deliveries queued again.") % {"count": count})
        return redirect("dashboard:delivery-list")


class InboxListView(StaffView):
    """The messages as received; their subjects only to administrators (they may hold a link)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        page = keyset_page(inbox_messages_list(), BY_CREATED, request.GET.get("cursor", ""))
        return render(
            request,
            "dashboard/emails/inbox.html",
            {"page": page, "in_use": local_inbox_in_use(), "nav": "inbox"},
        )


class InboxMessageView(StaffView):
    """One message as delivered: administrators only, since a reset email holds a live link."""

    def get(self, request: HttpRequest, message_id: int) -> HttpResponse:
        administrator_required(request)
        message = get_object_or_404(InboxMessage, pk=message_id)
        return render(
            request,
            "dashboard/emails/inbox_message.html",
            {"message": message, "nav": "inbox"},
        )


@email_document_view
class InboxMessageHtmlView(StaffView):
    """A message's HTML body as a document, for the frame of its page (administrators only)."""

    def get(self, request: HttpRequest, message_id: int) -> HttpResponse:
        administrator_required(request)
        message = get_object_or_404(InboxMessage, pk=message_id)
        return email_document(message.html_body)
