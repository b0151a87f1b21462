"""Issue 13: a protected Prometheus endpoint with the queue and the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from emails.models import DeliveryStatus, EmailDelivery
from emails.services import email_enqueue
from tests.factories import ConnectionFactory, UserFactory
from tickets.requests import reset_request_accept

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.REKEY_METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_refuse_a_request_without_the_token(client):
    response = client.get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_refuse_a_wrong_token(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_metrics_refuse_everyone_when_no_token_is_set(client, settings):
    settings.REKEY_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_staff_may_read_the_metrics(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    assert client.get("/metrics").status_code == 200


def test_queue_depth_and_the_age_of_the_oldest_task(client):
    ConnectionFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        reset_request_accept(email="a@example.com", connection=ConnectionFactory())
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        reset_request_accept(email="b@example.com", connection=ConnectionFactory())
        samples = scrape(client)

    assert samples[("rekey_queue_depth", (("queue", "default"),))] == 2
    assert samples[("rekey_queue_depth", (("queue", "email"),))] == 0
    assert samples[("rekey_queue_oldest_age_seconds", (("queue", "default"),))] == 30


def test_deliveries_by_status_and_retries(client):
    for _ in range(3):
        email_enqueue(to="a@example.com", subject="s", text_body="b")
    EmailDelivery.objects.filter(pk=EmailDelivery.objects.first().pk).update(
        status=DeliveryStatus.FAILED, attempts=5
    )

    samples = scrape(client)

    assert samples[("rekey_email_deliveries", (("status", "queued"),))] == 2
    assert samples[("rekey_email_deliveries", (("status", "failed"),))] == 1
    assert samples[("rekey_email_deliveries", (("status", "sent"),))] == 0
    assert samples[("rekey_email_delivery_retries", ())] == 4


def test_request_to_send_latency_counts_from_the_request(client, worker):
    connection = ConnectionFactory()
    UserFactory(connection=connection, email="known@example.com")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        reset_request_accept(email="known@example.com", connection=connection)
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        worker()
        samples = scrape(client)

    delivery = EmailDelivery.objects.get()
    assert delivery.requested_at == start
    assert samples[("rekey_email_request_to_send_count", ())] == 1
    assert samples[("rekey_email_request_to_send_seconds", (("quantile", "0.99"),))] == 3
