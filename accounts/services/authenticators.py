"""End users' second factor: a TOTP authenticator with recovery codes (django-otp's devices)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import LogType, User

DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"
RECOVERY_CODES = 10


def has_authenticator(user: User) -> bool:
    """Whether the user has enrolled (and confirmed) an authenticator."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def authenticator_enrol_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed TOTP device for the user (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def authenticator_enrol_confirm(*, user: User, token: str, audit: Audit) -> list[str] | None:
    """Confirm the pending device with a current code; returns the recovery codes (shown once).

    None when the code is wrong or there is no pending device. Logged ``gd_enrollment_complete``.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not token.isdigit() or not device.verify_token(token):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
        log_event(
            type=LogType.MFA_ENROLLED,
            description="Authenticator enrolled",
            user=user,
            details={"authenticator": "otp", "recovery_codes": RECOVERY_CODES},
            **audit.log_fields(),
        )
    return codes


def second_factor_verify(*, user: User, code: str, audit: Audit) -> bool:
    """A current TOTP code, or an unused recovery code (spent here); logged either way."""
    code = "".join(code.split()).lower()
    if code.isdigit():
        ok = any(
            device.verify_token(code)
            for device in TOTPDevice.objects.filter(user=user, confirmed=True)
        )
        if ok:
            log_event(
                type=LogType.MFA_SUCCEEDED,
                description="Second factor accepted",
                user=user,
                **audit.log_fields(),
            )
            return True
    elif code:
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):  # django-otp deletes the used token
                log_event(
                    type=LogType.MFA_RECOVERY_SUCCEEDED,
                    description="Recovery code used",
                    user=user,
                    details={"left": device.token_set.count()},
                    **audit.log_fields(),
                )
                return True
    log_event(
        type=LogType.MFA_FAILED,
        description="Wrong second factor code",
        user=user,
        **audit.log_fields(),
    )
    return False


def authenticators_delete(*, user: User, audit: Audit) -> int:
    """Remove the user's authenticators and recovery codes; logged ``gd_unenroll``."""
    with transaction.atomic():
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        log_event(
            type=LogType.MFA_UNENROLLED,
            description="Authenticators removed",
            user=user,
            details={"authenticators": count},
            **audit.log_fields(),
        )
    return count
