"""The dashboard speaks Japanese to a browser that asks for it, like the hosted pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_user_page_and_danger_zone_in_japanese(staff_client, user):
    response = staff_client.get(
        reverse("dashboard:user-detail", args=[user.user_id]), HTTP_ACCEPT_LANGUAGE="ja"
    )

    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "危険な操作" in html
    assert "パスワードの変更" in html
    assert "ユーザー" in html


def test_policy_errors_are_named_in_japanese(staff_client, user):
    response = staff_client.post(
        reverse("dashboard:user-password-change", args=[user.user_id]),
        {"new_password1": "short", "new_password2": "short", "confirm": "on"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert response.status_code == 400
    assert "8 文字以上。" in response.context["form"].errors["new_password1"]
