"""The hosted forgot-password and reset pages (``/u/reset-password...``) and email verification.

``forgot``: the request form and "check your email" (and the code entry); ``reset``: from the
link to the new password; ``verification``: the email-verification link; ``common``: cookies,
problem texts and helpers they share.
"""

from tickets.views.forgot import ResetCodeView, ResetRequestView, reset_request_sent
from tickets.views.reset import ResetMfaView, ResetSetView, reset_done, reset_link
from tickets.views.verification import email_verification

__all__ = [
    "ResetCodeView",
    "ResetMfaView",
    "ResetRequestView",
    "ResetSetView",
    "email_verification",
    "reset_done",
    "reset_link",
    "reset_request_sent",
]
