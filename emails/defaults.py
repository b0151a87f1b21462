"""The built-in email templates (English and Japanese).

The data migration writes them as rows for staff to edit; the selector falls back to them when a
row is missing (a flushed test database, a hand-deleted row), so a reset email is never dropped.

Each is a whole HTML document built for mail clients rather than browsers: layout tables marked
``role="presentation"``, every style inline (Gmail drops a ``<style>`` block in many views, so
the one here only adds dark-mode colours), a button that is a real link with the same link once
more as text for clients that hide buttons, explicit background and text colours on every block
(so a client that inverts colours for dark mode keeps the contrast), and a width that shrinks to
the screen. ``emails.rendering.html_to_text`` turns it into a text part with each link once.
"""

from __future__ import annotations

_FONT = (
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "'Hiragino Sans','Hiragino Kaku Gothic ProN',Meiryo,sans-serif;"
)
_TEXT = "#1f2933"
_MUTED = "#52606d"
_ACCENT = "#1d4ed8"
_PAGE = "#f3f4f6"
_CARD = "#ffffff"
_LINE = "#d9dee4"

# Only what inline styles cannot say: colours for clients that honour prefers-color-scheme.
_DARK_MODE = """<style>
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .rk-page { background-color: #111418 !important; }
  .rk-card { background-color: #1c2128 !important; border-color: #30363d !important; }
  .rk-text { color: #e6edf3 !important; }
  .rk-muted { color: #a9b4bf !important; }
  .rk-link { color: #8ab4ff !important; }
}
</style>"""


def _paragraph(text: str, *, muted: bool = False, small: bool = False) -> str:
    colour, css_class = (_MUTED, "rk-muted") if muted else (_TEXT, "rk-text")
    size = "14px;line-height:21px" if small else "16px;line-height:24px"
    return (
        f'<p class="{css_class}" style="margin:0 0 16px 0;{_FONT}font-size:{size};'
        f'color:{colour};">{text}</p>'
    )


def _button(label: str) -> str:
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        'style="margin:8px 0 24px 0;border-collapse:separate;"><tr>'
        f'<td align="center" bgcolor="{_ACCENT}" style="border-radius:6px;'
        f'background-color:{_ACCENT};">'
        f'<a href="{{{{ url }}}}" target="_blank" style="display:inline-block;padding:12px 28px;'
        f"{_FONT}font-size:16px;line-height:24px;font-weight:bold;color:#ffffff;"
        f'text-decoration:none;border-radius:6px;background-color:{_ACCENT};">{label}</a>'
        "</td></tr></table>"
    )


def _link_as_text(intro: str) -> str:
    # The one place the link is written out: the text part prints it here, once.
    return _paragraph(intro, muted=True, small=True) + (
        f'<p style="margin:0 0 16px 0;{_FONT}font-size:14px;line-height:21px;'
        f'color:{_ACCENT};word-break:break-all;overflow-wrap:anywhere;">'
        f'<a class="rk-link" href="{{{{ url }}}}" style="color:{_ACCENT};">{{{{ url }}}}</a></p>'
    )


def _email(*, lang: str, title: str, blocks: list[str], signature: str) -> str:
    """A whole email: the product's name, a card with the blocks, a signature line."""
    content = "\n".join(blocks)
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>{title}</title>
{_DARK_MODE}
</head>
<body class="rk-page" style="margin:0;padding:0;width:100%;background-color:{_PAGE};">
<table role="presentation" class="rk-page" width="100%" cellpadding="0" cellspacing="0" \
border="0" style="width:100%;background-color:{_PAGE};">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" class="rk-card" width="100%" cellpadding="0" cellspacing="0" \
border="0" style="width:100%;max-width:560px;background-color:{_CARD};border:1px solid {_LINE};\
border-radius:8px;">
<tr><td class="rk-text" style="padding:24px 32px 0 32px;{_FONT}font-size:15px;line-height:22px;\
font-weight:bold;letter-spacing:.02em;color:{_ACCENT};">\
{{{{ application.name | default: friendly_name }}}}</td></tr>
<tr><td style="padding:8px 32px 16px 32px;">
<h1 class="rk-text" style="margin:0 0 16px 0;{_FONT}font-size:22px;line-height:30px;\
font-weight:bold;color:{_TEXT};">{title}</h1>
{content}
</td></tr>
<tr><td style="padding:16px 32px 24px 32px;border-top:1px solid {_LINE};">
{_paragraph(signature, muted=True, small=True)}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""


_NAME_EN = "{{ user.name | default: user.email }}"
_APP = "{{ application.name | default: friendly_name }}"


def _code() -> str:
    # The reset code, large and spaced; "code" is a secret like the link (sealed in the outbox).
    return (
        f'<p class="rk-text" style="margin:8px 0 24px 0;{_FONT}font-size:32px;line-height:40px;'
        f'font-weight:bold;letter-spacing:8px;color:{_TEXT};">{{{{ code }}}}</p>'
    )


RESET_CODE_EN = _email(
    lang="en",
    title="Your password reset code",
    blocks=[
        _paragraph(f"Hello {_NAME_EN},"),
        _paragraph(
            f"Someone asked to reset the password of your {_APP} account ({{{{ user.email }}}}). "
            "If it was you, enter this code on the page where you asked:"
        ),
        _code(),
        _paragraph(
            "The code works once and expires in {{ code_lifetime_minutes }} minutes. "
            "If you did not ask for this, ignore this email: your password stays as it is."
        ),
    ],
    signature="{{ friendly_name }}",
)

RESET_CODE_JA = _email(
    lang="ja",
    title="パスワード再設定コード",
    blocks=[
        _paragraph(f"{_NAME_EN} 様"),
        _paragraph(
            f"{_APP} のアカウント（{{{{ user.email }}}}）のパスワード再設定が依頼されました。"
            "お心当たりがある場合は、依頼したページで次のコードを入力してください。"
        ),
        _code(),
        _paragraph(
            "このコードは一度だけ使え、{{ code_lifetime_minutes }} 分で期限が切れます。"
            "お心当たりがない場合は、このメールを無視してください。パスワードは変更されません。"
        ),
    ],
    signature="{{ friendly_name }}",
)

RESET_EN = _email(
    lang="en",
    title="Reset your password",
    blocks=[
        _paragraph(f"Hello {_NAME_EN},"),
        _paragraph(
            f"Someone asked to reset the password of your {_APP} account ({{{{ user.email }}}}). "
            "If it was you, choose a new password:"
        ),
        _button("Reset your password"),
        _paragraph(
            "The link works once and expires in {{ url_lifetime_in_seconds | duration }}. "
            "If you did not ask for this, ignore this email: your password stays as it is."
        ),
        _link_as_text("If the button does not work, copy this address into your browser:"),
    ],
    signature="{{ friendly_name }}",
)

RESET_JA = _email(
    lang="ja",
    title="パスワードの再設定",
    blocks=[
        _paragraph(f"{_NAME_EN} 様"),
        _paragraph(
            f"{_APP} のアカウント（{{{{ user.email }}}}）のパスワード再設定が依頼されました。"
            "お心当たりがある場合は、新しいパスワードを設定してください。"
        ),
        _button("パスワードを再設定する"),
        _paragraph(
            "このリンクは一度だけ使え、{{ url_lifetime_in_seconds | duration: 'ja' }}で"
            "期限が切れます。お心当たりがない場合は、このメールを無視してください。"
            "パスワードは変更されません。"
        ),
        _link_as_text("ボタンが使えない場合は、次のアドレスをブラウザーに貼り付けてください。"),
    ],
    signature="{{ friendly_name }}",
)

CHANGED_EN = _email(
    lang="en",
    title="Your password was changed",
    blocks=[
        _paragraph(f"Hello {_NAME_EN},"),
        _paragraph(
            "The password of your account ({{ user.email }}) was just changed, and every "
            "session that was signed in has been signed out."
        ),
        _paragraph(
            "If you did not do this, reset your password now and contact your administrator."
        ),
    ],
    signature="{{ friendly_name }}",
)

CHANGED_JA = _email(
    lang="ja",
    title="パスワードが変更されました",
    blocks=[
        _paragraph(f"{_NAME_EN} 様"),
        _paragraph(
            "お客様のアカウント（{{ user.email }}）のパスワードが変更されました。"
            "サインインしていたすべてのセッションはサインアウトされました。"
        ),
        _paragraph(
            "お心当たりがない場合は、すぐにパスワードを再設定し、管理者に連絡してください。"
        ),
    ],
    signature="{{ friendly_name }}",
)

BLOCKED_EN = _email(
    lang="en",
    title="Your account was blocked",
    blocks=[
        _paragraph(f"Hello {_NAME_EN},"),
        _paragraph(
            "We detected {{ attempts }} consecutive failed attempts to log in to your account "
            "({{ user.email }}) from the address {{ source_ip }}, so we blocked logins to your "
            "account from that address. Logins from other addresses still work."
        ),
        _paragraph("If it was you, unblock it:"),
        _button("Unblock my account"),
        _paragraph(
            "If it was not you, someone may be guessing your password: consider changing it."
        ),
        _link_as_text("If the button does not work, copy this address into your browser:"),
    ],
    signature="{{ friendly_name }}",
)

BLOCKED_JA = _email(
    lang="ja",
    title="アカウントがブロックされました",
    blocks=[
        _paragraph(f"{_NAME_EN} 様"),
        _paragraph(
            "お客様のアカウント（{{ user.email }}）に対し、アドレス {{ source_ip }} から "
            "{{ attempts }} 回連続してログインに失敗したため、そのアドレスからのログインを"
            "ブロックしました。他のアドレスからは引き続きログインできます。"
        ),
        _paragraph("お客様ご本人による操作の場合は、ブロックを解除してください。"),
        _button("ブロックを解除する"),
        _paragraph(
            "お心当たりがない場合は、第三者がパスワードを推測しようとしている可能性があります。"
            "パスワードの変更をご検討ください。"
        ),
        _link_as_text("ボタンが使えない場合は、次のアドレスをブラウザーに貼り付けてください。"),
    ],
    signature="{{ friendly_name }}",
)

VERIFY_EN = _email(
    lang="en",
    title="Verify your email",
    blocks=[
        _paragraph(f"Hello {_NAME_EN},"),
        _paragraph(
            f"Please verify the email address of your {_APP} account ({{{{ user.email }}}})."
        ),
        _button("Verify your email"),
        _paragraph(
            "The link works once and expires in {{ url_lifetime_in_seconds | duration }}. "
            "If you did not create this account, ignore this email."
        ),
        _link_as_text("If the button does not work, copy this address into your browser:"),
    ],
    signature="{{ friendly_name }}",
)

VERIFY_JA = _email(
    lang="ja",
    title="メールアドレスの確認",
    blocks=[
        _paragraph(f"{_NAME_EN} 様"),
        _paragraph(
            f"{_APP} のアカウント（{{{{ user.email }}}}）のメールアドレスを確認してください。"
        ),
        _button("メールアドレスを確認する"),
        _paragraph(
            "このリンクは一度だけ使え、{{ url_lifetime_in_seconds | duration: 'ja' }}で"
            "期限が切れます。このアカウントに心当たりがない場合は、このメールを無視してください。"
        ),
        _link_as_text("ボタンが使えない場合は、次のアドレスをブラウザーに貼り付けてください。"),
    ],
    signature="{{ friendly_name }}",
)

DEFAULTS = [
    ("reset_email", "en", "Reset your password", RESET_EN),
    ("reset_email", "ja", "パスワードの再設定", RESET_JA),
    ("reset_email_by_code", "en", "Your password reset code", RESET_CODE_EN),
    ("reset_email_by_code", "ja", "パスワード再設定コード", RESET_CODE_JA),
    ("password_changed", "en", "Your password was changed", CHANGED_EN),
    ("password_changed", "ja", "パスワードが変更されました", CHANGED_JA),
    ("blocked_account", "en", "Your account was blocked", BLOCKED_EN),
    ("blocked_account", "ja", "アカウントがブロックされました", BLOCKED_JA),
    ("verify_email", "en", "Verify your email", VERIFY_EN),
    ("verify_email", "ja", "メールアドレスの確認", VERIFY_JA),
]
