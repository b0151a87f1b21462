"""A connection's password policy as a list of Django-style validators.

Each validator has ``validate(password, user)`` raising ``ValidationError`` with a code from
``PasswordRule`` and ``get_help_text()``; ``policy_check`` runs them all and names every rule
that failed, so callers (reset page, API, dashboard, command) can show each one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Connection, PolicyLevel

if TYPE_CHECKING:
    from accounts.models import User


class PasswordRule(StrEnum):
    """Error codes of the password policy, stable for API clients."""

    TOO_SHORT = "password_too_short"
    TOO_LONG = "password_too_long"
    CHARACTER_CLASSES = "password_character_classes"
    IDENTICAL_CHARS = "password_identical_chars"
    IN_HISTORY = "password_in_history"
    PERSONAL_INFO = "password_personal_info"
    IN_DICTIONARY = "password_in_dictionary"


# Auth0's levels: minimum length, character classes required and how many of them.
LEVELS: dict[str, dict[str, Any]] = {
    PolicyLevel.NONE: {"min_length": 1, "classes": (), "need": 0, "no_repeat": False},
    PolicyLevel.LOW: {"min_length": 6, "classes": (), "need": 0, "no_repeat": False},
    PolicyLevel.FAIR: {
        "min_length": 8,
        "classes": ("lower", "upper", "digit"),
        "need": 3,
        "no_repeat": False,
    },
    PolicyLevel.GOOD: {
        "min_length": 8,
        "classes": ("lower", "upper", "digit", "special"),
        "need": 3,
        "no_repeat": False,
    },
    PolicyLevel.EXCELLENT: {
        "min_length": 10,
        "classes": ("lower", "upper", "digit", "special"),
        "need": 3,
        "no_repeat": True,
    },
}

CLASS_TESTS = {
    "lower": lambda c: c.islower(),
    "upper": lambda c: c.isupper(),
    "digit": lambda c: c.isdigit(),
    "special": lambda c: not c.isalnum(),
}


class Validator(Protocol):
    def validate(self, password: str, user: User | None = None) -> None: ...

    def get_help_text(self) -> str: ...


@dataclass(frozen=True)
class LengthValidator:
    min_length: int
    max_length: int

    def validate(self, password: str, user: User | None = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                ngettext("At least %(n)d character.", "At least %(n)d characters.", self.min_length)
                % {"n": self.min_length},
                code=PasswordRule.TOO_SHORT,
            )
        if len(password) > self.max_length:
            raise ValidationError(
                _("At most %(n)d characters.") % {"n": self.max_length},
                code=PasswordRule.TOO_LONG,
            )

    def get_help_text(self) -> str:
        return ngettext(
            "At least %(n)d character.", "At least %(n)d characters.", self.min_length
        ) % {"n": self.min_length}


CLASS_LABELS = {
    "lower": "lower case letters (a-z)",
    "upper": "upper case letters (A-Z)",
    "digit": "numbers (0-9)",
    "special": "special characters (e.g. !@#$%^&*)",
}


@dataclass(frozen=True)
class CharacterClassValidator:
    classes: tuple[str, ...]
    need: int

    def validate(self, password: str, user: User | None = None) -> None:
        present = sum(any(CLASS_TESTS[name](c) for c in password) for name in self.classes)
        if present < self.need:
            raise ValidationError(self.get_help_text(), code=PasswordRule.CHARACTER_CLASSES)

    def get_help_text(self) -> str:
        labels = ", ".join(_(CLASS_LABELS[name]) for name in self.classes)
        if self.need == len(self.classes):
            return _("Contains all of: %(labels)s.") % {"labels": labels}
        return _("Contains at least %(need)d of: %(labels)s.") % {
            "need": self.need,
            "labels": labels,
        }


@dataclass(frozen=True)
class NoRepeatValidator:
    max_run: int = 2

    def validate(self, password: str, user: User | None = None) -> None:
        if re.search(rf"(.)\1{{{self.max_run},}}", password, flags=re.DOTALL):
            raise ValidationError(self.get_help_text(), code=PasswordRule.IDENTICAL_CHARS)

    def get_help_text(self) -> str:
        return _("No more than %(n)d identical characters in a row.") % {"n": self.max_run}


@dataclass(frozen=True)
class HistoryValidator:
    size: int

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        hashes = [user.password] if user.has_usable_password() else []
        hashes += list(
            user.password_history.order_by("-created_at").values_list("password", flat=True)[
                : self.size
            ]
        )
        for encoded in hashes[: self.size]:
            if check_password(password, encoded):
                raise ValidationError(self.get_help_text(), code=PasswordRule.IN_HISTORY)

    def get_help_text(self) -> str:
        return ngettext(
            "Not the same as your last password.",
            "Not the same as any of your last %(n)d passwords.",
            self.size,
        ) % {"n": self.size}


def personal_values(user: User) -> list[str]:
    """The strings a password may not contain under password_no_personal_info."""
    values = [user.name, user.nickname, user.username, user.given_name, user.family_name]
    values.append(user.email.split("@", 1)[0])
    for key, value in (user.user_metadata or {}).items():
        if "name" in str(key).lower() and isinstance(value, str):
            values.append(value)
    parts: list[str] = []
    for value in values:
        value = (value or "").strip()
        if len(value) >= 3:
            parts.append(value)
            parts += [word for word in re.split(r"[\s._\-+]+", value) if len(word) >= 3]
    return sorted({p.casefold() for p in parts})


@dataclass(frozen=True)
class PersonalInfoValidator:
    def validate(self, password: str, user: User | None = None) -> None:
        if user is None:
            return
        folded = password.casefold()
        if any(value in folded for value in personal_values(user)):
            raise ValidationError(self.get_help_text(), code=PasswordRule.PERSONAL_INFO)

    def get_help_text(self) -> str:
        return _("Does not contain your name, nickname, username or email.")


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(CommonPasswordValidator().passwords)


@dataclass(frozen=True)
class DictionaryValidator:
    words: frozenset[str]

    def validate(self, password: str, user: User | None = None) -> None:
        folded = password.lower().strip()
        if folded in _common_passwords() or folded in self.words:
            raise ValidationError(self.get_help_text(), code=PasswordRule.IN_DICTIONARY)

    def get_help_text(self) -> str:
        return _("Not a common password or a word from the dictionary.")


def policy_validators(connection: Connection) -> list[Validator]:
    """The validators of a connection's policy, in the order their rules are shown."""
    level = LEVELS[connection.password_policy]
    min_length = connection.min_length or level["min_length"]
    validators: list[Validator] = [LengthValidator(min_length, settings.REKEY_PASSWORD_MAX_LENGTH)]
    if level["need"]:
        validators.append(CharacterClassValidator(level["classes"], level["need"]))
    if level["no_repeat"]:
        validators.append(NoRepeatValidator())
    if connection.history_enable and connection.history_size:
        validators.append(
            HistoryValidator(min(connection.history_size, settings.REKEY_PASSWORD_HISTORY_MAX))
        )
    if connection.no_personal_info:
        validators.append(PersonalInfoValidator())
    if connection.dictionary_enable:
        words = frozenset(str(w).lower().strip() for w in connection.dictionary or [])
        validators.append(DictionaryValidator(words))
    return validators


@dataclass(frozen=True)
class RuleFailure:
    code: str
    message: str


def policy_check(connection: Connection, password: str, user: User | None) -> list[RuleFailure]:
    """Every rule of the policy that the password breaks (empty when it passes)."""
    failures: list[RuleFailure] = []
    for validator in policy_validators(connection):
        try:
            validator.validate(password, user)
        except ValidationError as exc:
            failures.append(RuleFailure(code=str(exc.code), message=str(exc.message)))
    return failures


def policy_rules(connection: Connection) -> list[dict[str, Any]]:
    """The rules to show beside a password box, with what the page's JS needs to check them."""
    rules: list[dict[str, Any]] = []
    for validator in policy_validators(connection):
        rule: dict[str, Any] = {"text": validator.get_help_text()}
        match validator:
            case LengthValidator():
                rule.update(
                    code=PasswordRule.TOO_SHORT, min=validator.min_length, max=validator.max_length
                )
            case CharacterClassValidator():
                rule.update(
                    code=PasswordRule.CHARACTER_CLASSES,
                    classes=list(validator.classes),
                    need=validator.need,
                )
            case NoRepeatValidator():
                rule.update(code=PasswordRule.IDENTICAL_CHARS, max_run=validator.max_run)
            case HistoryValidator():
                rule.update(code=PasswordRule.IN_HISTORY, server=True)
            case PersonalInfoValidator():
                rule.update(code=PasswordRule.PERSONAL_INFO, server=True)
            case DictionaryValidator():
                rule.update(code=PasswordRule.IN_DICTIONARY, server=True)
        rules.append(rule)
    return rules


def policy_failures_split(
    rules: list[dict[str, Any]], failures: list[RuleFailure]
) -> tuple[list[str], list[str]]:
    """The codes of shown rules a password broke, and the messages of breaks no rule shows."""
    shown = {str(rule.get("code")) for rule in rules}
    codes: list[str] = []
    unshown: list[str] = []
    for failure in failures:
        # The length rule is shown once, with its minimum; it covers the maximum too.
        code = PasswordRule.TOO_SHORT if failure.code == PasswordRule.TOO_LONG else failure.code
        if code in shown:
            codes.append(str(code))
        if code not in shown or failure.code == PasswordRule.TOO_LONG:
            unshown.append(failure.message)
    return codes, unshown


def policy_refusal_text(unshown: list[str]) -> str:
    """The one error shown above the checklist when a password is refused by the policy."""
    text = str(_("Password too weak: the rules it breaks are marked ✗ below."))
    return " ".join([text, *unshown])


class ConnectionPolicyValidator:
    """``AUTH_PASSWORD_VALIDATORS`` adapter: Django's own doors obey the connection's policy.

    ``createsuperuser``, ``validate_password`` and any Django form then refuse what
    ``password_set`` would. A user with no connection yet (``createsuperuser`` builds one
    without) is checked against the staff realm, where such users are created.
    """

    def validate(self, password: str, user: User | None = None) -> None:
        connection = self._connection(user)
        if connection is None:
            return
        # An unsaved user has no history to compare with (and cannot be queried by).
        known = user if _has_connection(user) and user is not None and user.pk else None
        failures = policy_check(connection, password, known)
        if failures:
            raise ValidationError(
                [ValidationError(f.message, code=f.code) for f in failures],
            )

    def get_help_text(self) -> str:
        connection = self._connection(None)
        if connection is None:
            return ""
        return " ".join(str(rule["text"]) for rule in policy_rules(connection))

    @staticmethod
    def _connection(user: User | None) -> Connection | None:
        if user is not None and _has_connection(user):
            return user.connection
        return Connection.objects.filter(is_staff_realm=True).first()


def _has_connection(user: User | None) -> bool:
    return user is not None and getattr(user, "connection_id", None) is not None
