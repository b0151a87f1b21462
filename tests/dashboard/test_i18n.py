"""The dashboard speaks Japanese to a browser that asks for it, like the hosted pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.audit import Audit, Door

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
    assert '<li data-code="password_too_short" class="bad">8 文字以上。</li>' in (
        response.content.decode()
    )
    assert response.context["form"].errors["new_password1"][0].startswith("パスワードが弱すぎます")


def test_log_types_and_date_range_are_japanese_with_their_own_context(staff_client):
    response = staff_client.get(reverse("dashboard:log-list"), HTTP_ACCEPT_LANGUAGE="ja")

    html = response.content.decode()
    assert "パスワード変更成功" in html  # a log type's name in the filter
    assert "開始日" in html and "終了日" in html  # "From/To" of a date range
    assert "差出人" not in html and "宛先" not in html  # not an email's sender/recipient


def test_ticket_door_and_status_are_japanese_on_the_user_page(staff_client, user):
    from tickets.services import ticket_issue

    ticket_issue(user=user, audit=Audit(door=Door.RESET))

    response = staff_client.get(
        reverse("dashboard:user-detail", args=[user.user_id]), HTTP_ACCEPT_LANGUAGE="ja"
    )

    html = response.content.decode()
    assert "セルフサービス (パスワード忘れ)" in html
    assert "有効" in html


def test_hosted_pages_link_to_themselves_in_each_language(client):
    page = client.get("/u/login?connection=Username-Password-Authentication&ui_locales=ja")

    html = page.content.decode()
    assert '<html lang="ja">' in html
    assert 'href="/u/login?connection=Username-Password-Authentication&amp;ui_locales=en"' in html
    assert '<span aria-current="true" lang="ja">日本語</span>' in html


def test_the_dashboard_language_switch_remembers_the_choice(staff_client):
    page = staff_client.get(reverse("dashboard:log-list") + "?type=s")
    assert 'action="/i18n/setlang/"' in page.content.decode()
    assert 'name="next" value="/dashboard/logs/?type=s"' in page.content.decode()

    response = staff_client.post(
        "/i18n/setlang/", {"language": "ja", "next": "/dashboard/logs/?type=s"}
    )

    assert response.status_code == 302
    assert '<html lang="ja">' in staff_client.get(response["Location"]).content.decode()
