"""A stored template that tries to take the worker's time or memory fails its email, fast."""

from __future__ import annotations

import pytest

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate, InboxMessage
from tests.emails.limits import HUGE_LOOP, MANY_LOOPS, NESTED_LOOPS, QUADRATIC_JOIN, budget
from tickets.models import PasswordChangeTicket
from tickets.requests import reset_request_accept
from tickets.services import ticket_issue, ticket_redeem

pytestmark = pytest.mark.django_db


def store(name: str, body: str) -> None:
    EmailTemplate.objects.filter(name=name, language="en").update(body=body)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (HUGE_LOOP, "LoopIterationLimitError"),
        (NESTED_LOOPS, "LoopIterationLimitError"),
        (MANY_LOOPS, "TemplateTimeLimitError"),
        (QUADRATIC_JOIN, "TemplateValueLimitError"),
    ],
    ids=["loop", "nested", "many loops", "quadratic join"],
)
def test_the_worker_fails_a_hostile_reset_email_within_the_budget(user, worker, source, reason):
    store("reset_email", f'<p><a href="{{{{ url }}}}">Reset</a></p>{source}')
    reset_request_accept(email=user.email, connection=user.connection)

    with budget():
        worker()

    delivery = EmailDelivery.objects.get(user=user)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 0)
    assert delivery.last_error == f"Template not rendered ({reason})"
    assert (delivery.subject, delivery.text_body, delivery.sealed) == ("", "", "")
    assert not InboxMessage.objects.exists()
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert fn.user == user
    assert fn.description == "Failed to send email (reset_email): the template did not render"
    assert fn.details == {
        "delivery_id": delivery.pk,
        "template": "reset_email",
        "language": "en",
        "error": reason,
    }


def test_the_failure_names_no_value_of_the_context(user, worker):
    # A Liquid error may quote the value it choked on, and the context holds the link.
    store("reset_email", "{{ url | slice: url }}")
    reset_request_accept(email=user.email, connection=user.connection)

    worker()

    delivery = EmailDelivery.objects.get(user=user)
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert delivery.last_error == "Template not rendered (FilterArgumentError)"
    assert "ticket" not in delivery.last_error + fn.description + str(fn.details)


def test_a_hostile_password_changed_template_does_not_undo_the_reset(user, worker):
    store("password_changed", HUGE_LOOP)
    _, token = ticket_issue(user=user, audit=Audit(door=Door.API))

    with budget():
        ticket_redeem(token=token, password="A brand new passphrase 42!")

    user.refresh_from_db()
    assert user.check_password("A brand new passphrase 42!")
    assert PasswordChangeTicket.objects.get(user=user).used_at is not None
    delivery = EmailDelivery.objects.get(user=user, template_name="password_changed")
    assert delivery.status == DeliveryStatus.FAILED
