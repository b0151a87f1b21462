"""Placeholder until the email app lands."""
from django.core.mail.backends.console import EmailBackend as LocalInboxBackend  # noqa: F401
