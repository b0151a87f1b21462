"""Shared fixtures. Tests needing PostgreSQL, Redis or a browser are marked and skipped
unless the thing is there. CI names what must be there in REKEY_REQUIRE_SERVICES (a comma list of
browser, postgres, redis, or "all"), so that a skip of those becomes a failure."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings

from tests.emails.worker import run_worker
from tests.factories import ConnectionFactory, UserFactory

# The Management API's fixtures serve the API tests of every app (accounts, tickets, emails).
pytest_plugins = ["tests.management_api"]

REQUIRED = {s.strip() for s in os.environ.get("REKEY_REQUIRE_SERVICES", "").split(",")}


def _need(condition: bool, why: str, service: str) -> None:
    if condition:
        return
    if service in REQUIRED or "all" in REQUIRED:
        pytest.fail(f"required by CI but missing: {why}")
    pytest.skip(why)


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Real Argon2id, with small parameters so the suite stays quick; the hasher reads them
    # at call time, so a test can raise them to check upgrades.
    settings.REKEY_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    from django.core.cache import cache

    from accounts.config_cache import config_cache_clear

    cache.clear()
    config_cache_clear()  # a rolled-back test's applications and connections are gone
    yield
    # A test that rendered Japanese (an email, a page) must not leave it active for the next.
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _local_inbox(settings):
    # Django's test set-up swaps the mailers for locmem; put back the product's default.
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}


@pytest.fixture
def worker():
    """Run every ready task through django-tasks-db's own worker loop (``db_worker --batch``)."""
    return run_worker


@pytest.fixture
def postgres():
    _need(
        django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs DATABASE_URL=postgres://...",
        "postgres",
    )


@pytest.fixture
def redis():
    _need(bool(django_settings.REDIS_URL), "needs REDIS_URL=redis://...", "redis")


@pytest.fixture
def chromium_path():
    path = os.environ.get("REKEY_CHROMIUM", "/usr/bin/chromium")
    _need(os.path.exists(path), f"needs Chromium at {path}", "browser")
    return path


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection)
