"""Form POSTs from pages under ``Referrer-Policy: no-referrer`` carry ``Origin: null``."""

from __future__ import annotations

import pytest
from django.test import Client

REQUEST_URL = "/u/reset-password/request"

pytestmark = pytest.mark.django_db


def post_from_page(sec_fetch_site: str):
    client = Client(enforce_csrf_checks=True)
    client.get(REQUEST_URL)
    token = client.cookies["csrftoken"].value
    return client.post(
        REQUEST_URL,
        {
            "email": "a@example.com",
            "connection": "Username-Password-Authentication",
            "csrfmiddlewaretoken": token,
        },
        HTTP_ORIGIN="null",
        HTTP_SEC_FETCH_SITE=sec_fetch_site,
    )


def test_a_same_origin_post_with_a_null_origin_passes_csrf(connection):
    assert post_from_page("same-origin").status_code == 303


def test_a_cross_site_post_with_a_null_origin_is_refused(connection):
    assert post_from_page("cross-site").status_code == 403
