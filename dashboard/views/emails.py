"""Email: templates (edit, live preview, send a test), deliveries with retry, the local inbox."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from dashboard.actions import email_template_save
from dashboard.emails import local_inbox_in_use, provider_name, sample_context
from dashboard.forms import DeliveryFilterForm, EmailTemplateForm
from dashboard.permissions import StaffView, administrator_required
from dashboard.selectors import BY_CREATED, keyset_page
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate, InboxMessage
from emails.rendering import TemplateRenderError, template_render
from emails.selectors import deliveries_list, email_templates_list, inbox_messages_list
from emails.services import delivery_retry, email_enqueue


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
        if not form.is_valid():
            return self.render(form, template, status=400)
        email_template_save(
            template=template,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            fields=form.template_fields(),
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
        return render(
            self.request,
            "dashboard/emails/template_detail.html",
            {
                "template": template,
                "form": form,
                "preview": _preview(template),
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
    """Renders the template as edited (unsaved) with sample data; changes nothing."""

    viewer_may_post = True

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


class EmailTemplateTestView(StaffView):
    """Sends the template as edited, with sample data, to the staff member's own address."""

    def post(self, request: HttpRequest, name: str, language: str) -> HttpResponse:
        template = _template(name, language)
        form = EmailTemplateForm(request.POST, instance=EmailTemplate(name=name, language=language))
        if not form.is_valid():
            return EmailTemplateDetailView(request=request).render(form, template, status=400)
        draft = form.save(commit=False)
        rendered = template_render(draft, sample_context(draft))
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
                "provider": provider_name(),
                "can_act": bool(getattr(request.user, "is_administrator", False)),
                "nav": "deliveries",
            },
        )


class DeliveryRetryView(StaffView):
    def post(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        delivery = get_object_or_404(EmailDelivery, pk=delivery_id)
        if delivery.status != DeliveryStatus.FAILED:
            messages.error(request, _("Only failed deliveries can be retried."))
        else:
            delivery_retry(delivery=delivery, actor=request.user)  # type: ignore[arg-type]
            messages.success(request, _("Delivery queued again."))
        return redirect("dashboard:delivery-list")


class InboxListView(StaffView):
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
