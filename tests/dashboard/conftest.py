"""Fixtures for the dashboard: an administrator, a viewer, and clients logged in as each."""

from __future__ import annotations

import pytest

from tests.factories import StaffFactory


@pytest.fixture
def administrator(connection):
    return StaffFactory(staff_role="administrator")


@pytest.fixture
def viewer(connection):
    return StaffFactory(staff_role="viewer")


@pytest.fixture
def staff_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client
