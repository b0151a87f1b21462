"""The built-in emails become styled HTML; a row still holding the old built-in body is updated.

A row whose body differs in any way from the old built-in one was customised and is left as
it is. The old bodies are copied here, as they were, since ``emails.defaults`` moves on.
"""

from django.db import migrations

from emails.defaults import DEFAULTS

OLD_BODIES = {
    ("reset_email", "en"): (
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>Someone asked to reset the password of your {{ application.name | default: friendly_name }} account ({{ user.email }}). If it was you, follow this link to choose a new password:</p>\n"
        '<p><a href="{{ url }}">Reset your password</a></p>\n'
        "<p>{{ url }}</p>\n"
        "<p>The link works once and expires in {{ url_lifetime_hours }} hours. If you did not ask for this, ignore this email: your password stays as it is.</p>\n"
        "<p>{{ friendly_name }}</p>\n"
    ),
    ("reset_email", "ja"): (
        "<p>{{ user.name | default: user.email }} 様</p>\n"
        "<p>{{ application.name | default: friendly_name }} のアカウント（{{ user.email }}）のパスワード再設定が依頼されました。お心当たりがある場合は、次のリンクから新しいパスワードを設定してください。</p>\n"
        '<p><a href="{{ url }}">パスワードを再設定する</a></p>\n'
        "<p>{{ url }}</p>\n"
        "<p>このリンクは一度だけ使え、{{ url_lifetime_hours }} 時間で期限が切れます。お心当たりがない場合は、このメールを無視してください。パスワードは変更されません。</p>\n"
        "<p>{{ friendly_name }}</p>\n"
    ),
    ("password_changed", "en"): (
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>The password of your account ({{ user.email }}) was just changed, and every session that was signed in has been signed out.</p>\n"
        "<p>If you did not do this, reset your password now and contact your administrator.</p>\n"
        "<p>{{ friendly_name }}</p>\n"
    ),
    ("password_changed", "ja"): (
        "<p>{{ user.name | default: user.email }} 様</p>\n"
        "<p>お客様のアカウント（{{ user.email }}）のパスワードが変更されました。サインインしていたすべてのセッションはサインアウトされました。</p>\n"
        "<p>お心当たりがない場合は、すぐにパスワードを再設定し、管理者に連絡してください。</p>\n"
        "<p>{{ friendly_name }}</p>\n"
    ),
    ("blocked_account", "en"): (
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>We detected {{ attempts }} consecutive failed attempts to log in to your account ({{ user.email }}) from the address {{ source_ip }}, so we blocked logins to your account from that address. Logins from other addresses still work.</p>\n"
        "<p>If it was you, follow this link to unblock it:</p>\n"
        '<p><a href="{{ url }}">Unblock my account</a></p>\n'
        "<p>{{ url }}</p>\n"
        "<p>If it was not you, someone may be guessing your password: consider changing it.</p>\n"
        "<p>{{ friendly_name }}</p>\n"
    ),
    ("blocked_account", "ja"): (
        "<p>{{ user.name | default: user.email }} 様</p>\n"
        "<p>お客様のアカウント（{{ user.email }}）に対し、アドレス {{ source_ip }} から {{ attempts }} 回連続してログインに失敗したため、そのアドレスからのログインをブロックしました。他のアドレスからは引き続きログインできます。</p>\n"
        "<p>お客様ご本人による操作の場合は、次のリンクからブロックを解除してください。</p>\n"
        '<p><a href="{{ url }}">ブロックを解除する</a></p>\n'
        "<p>{{ url }}</p>\n"
        "<p>お心当たりがない場合は、第三者がパスワードを推測しようとしている可能性があります。パスワードの変更をご検討ください。</p>\n"
        "<p>{{ friendly_name }}</p>\n"
    ),
}


def _swap(apps, *, forward: bool) -> None:
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    new_bodies = {(name, language): body for name, language, _subject, body in DEFAULTS}
    for key, old in OLD_BODIES.items():
        new = new_bodies[key]
        was, becomes = (old, new) if forward else (new, old)
        name, language = key
        EmailTemplate.objects.filter(name=name, language=language, body=was).update(body=becomes)


def styled_bodies(apps, schema_editor):
    _swap(apps, forward=True)


def plain_bodies(apps, schema_editor):
    _swap(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [("emails", "0009_email_provider")]

    operations = [migrations.RunPython(styled_bodies, plain_bodies)]
