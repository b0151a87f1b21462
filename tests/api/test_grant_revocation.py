"""A Management API token is only as good as its client's grant now, not when it was issued."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.scopes import management_audience
from accounts.services import Audit, Door, grant_set
from tests.management_api import error

pytestmark = pytest.mark.django_db


def test_attack_a_token_stops_working_when_its_grant_is_removed(api, m2m):
    """Attack: a token kept working for 24 h after its client's grant was removed."""
    assert api.get("/api/v2/connections").status_code == 200

    grant_set(
        application=m2m.application,
        audience=management_audience(),
        scopes=None,
        audit=Audit(door=Door.COMMAND),
    )
    response = api.get("/api/v2/connections")

    assert response.status_code == 401
    assert response.json() == error(401, "Invalid token", "invalid_token")


def test_a_narrowed_grant_narrows_the_tokens_already_issued(api, m2m):
    assert api.get("/api/v2/connections").status_code == 200

    grant_set(
        application=m2m.application,
        audience=management_audience(),
        scopes=["read:logs"],
        audit=Audit(door=Door.COMMAND),
    )

    assert api.get("/api/v2/connections").status_code == 403
    assert api.get("/api/v2/logs").status_code == 200


def test_a_grant_deleted_behind_the_services_back_is_seen_within_the_cache_time(api, m2m, settings):
    settings.REKEY_GRANT_CACHE_SECONDS = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert api.get("/api/v2/connections").status_code == 200
        m2m.grant.delete()
        assert api.get("/api/v2/connections").status_code == 200  # still cached
        clock.shift(timedelta(seconds=31))
        assert api.get("/api/v2/connections").status_code == 401
