"""The emails app's Management API operations."""

from django.urls import path

from accounts.api.auth import route
from emails.api import email_templates, provider

EmailTemplateApi = route(
    "EmailTemplateApi",
    email_templates.EmailTemplateGetApi,
    email_templates.EmailTemplateUpdateApi,
    email_templates.EmailTemplateReplaceApi,
)
EmailProviderApi = route(
    "EmailProviderApi",
    provider.EmailProviderGetApi,
    provider.EmailProviderCreateApi,
    provider.EmailProviderUpdateApi,
)

urlpatterns = [
    path("api/v2/emails/provider", EmailProviderApi.as_view(), name="email-provider"),
    path(
        "api/v2/email-templates",
        email_templates.EmailTemplateCreateApi.as_view(),
        name="email-templates",
    ),
    path(
        "api/v2/email-templates/<str:templateName>",
        EmailTemplateApi.as_view(),
        name="email-template",
    ),
]
