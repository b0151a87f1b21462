"""The built-in email templates (English and Japanese).

The data migration writes them as rows for staff to edit; the selector falls back to them when a
row is missing (a flushed test database, a hand-deleted row), so a reset email is never dropped.
"""

RESET_EN = """<p>Hello {{ user.name | default: user.email }},</p>
<p>Someone asked to reset the password of your {{ application.name | default: friendly_name }} account ({{ user.email }}). If it was you, follow this link to choose a new password:</p>
<p><a href="{{ url }}">Reset your password</a></p>
<p>{{ url }}</p>
<p>The link works once and expires in {{ url_lifetime_hours }} hours. If you did not ask for this, ignore this email: your password stays as it is.</p>
<p>{{ friendly_name }}</p>
"""

RESET_JA = """<p>{{ user.name | default: user.email }} 様</p>
<p>{{ application.name | default: friendly_name }} のアカウント（{{ user.email }}）のパスワード再設定が依頼されました。お心当たりがある場合は、次のリンクから新しいパスワードを設定してください。</p>
<p><a href="{{ url }}">パスワードを再設定する</a></p>
<p>{{ url }}</p>
<p>このリンクは一度だけ使え、{{ url_lifetime_hours }} 時間で期限が切れます。お心当たりがない場合は、このメールを無視してください。パスワードは変更されません。</p>
<p>{{ friendly_name }}</p>
"""

RESET_CODE_EN = """<p>Hello {{ user.name | default: user.email }},</p>
<p>Someone asked to reset the password of your {{ application.name | default: friendly_name }} account ({{ user.email }}). If it was you, enter this code on the page where you asked:</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px">{{ code }}</p>
<p>The code works once and expires in {{ code_lifetime_minutes }} minutes. If you did not ask for this, ignore this email: your password stays as it is.</p>
<p>{{ friendly_name }}</p>
"""

RESET_CODE_JA = """<p>{{ user.name | default: user.email }} 様</p>
<p>{{ application.name | default: friendly_name }} のアカウント（{{ user.email }}）のパスワード再設定が依頼されました。お心当たりがある場合は、依頼したページで次のコードを入力してください。</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px">{{ code }}</p>
<p>このコードは一度だけ使え、{{ code_lifetime_minutes }} 分で期限が切れます。お心当たりがない場合は、このメールを無視してください。パスワードは変更されません。</p>
<p>{{ friendly_name }}</p>
"""

CHANGED_EN = """<p>Hello {{ user.name | default: user.email }},</p>
<p>The password of your account ({{ user.email }}) was just changed, and every session that was signed in has been signed out.</p>
<p>If you did not do this, reset your password now and contact your administrator.</p>
<p>{{ friendly_name }}</p>
"""

CHANGED_JA = """<p>{{ user.name | default: user.email }} 様</p>
<p>お客様のアカウント（{{ user.email }}）のパスワードが変更されました。サインインしていたすべてのセッションはサインアウトされました。</p>
<p>お心当たりがない場合は、すぐにパスワードを再設定し、管理者に連絡してください。</p>
<p>{{ friendly_name }}</p>
"""

BLOCKED_EN = """<p>Hello {{ user.name | default: user.email }},</p>
<p>We detected {{ attempts }} consecutive failed attempts to log in to your account ({{ user.email }}) from the address {{ source_ip }}, so we blocked logins to your account from that address. Logins from other addresses still work.</p>
<p>If it was you, follow this link to unblock it:</p>
<p><a href="{{ url }}">Unblock my account</a></p>
<p>{{ url }}</p>
<p>If it was not you, someone may be guessing your password: consider changing it.</p>
<p>{{ friendly_name }}</p>
"""

BLOCKED_JA = """<p>{{ user.name | default: user.email }} 様</p>
<p>お客様のアカウント（{{ user.email }}）に対し、アドレス {{ source_ip }} から {{ attempts }} 回連続してログインに失敗したため、そのアドレスからのログインをブロックしました。他のアドレスからは引き続きログインできます。</p>
<p>お客様ご本人による操作の場合は、次のリンクからブロックを解除してください。</p>
<p><a href="{{ url }}">ブロックを解除する</a></p>
<p>{{ url }}</p>
<p>お心当たりがない場合は、第三者がパスワードを推測しようとしている可能性があります。パスワードの変更をご検討ください。</p>
<p>{{ friendly_name }}</p>
"""

VERIFY_EN = """<p>Hello {{ user.name | default: user.email }},</p>
<p>Please verify the email address of your {{ application.name | default: friendly_name }} account ({{ user.email }}) by following this link:</p>
<p><a href="{{ url }}">Verify your email</a></p>
<p>{{ url }}</p>
<p>The link works once and expires in {{ url_lifetime_hours }} hours. If you did not create this account, ignore this email.</p>
<p>{{ friendly_name }}</p>
"""

VERIFY_JA = """<p>{{ user.name | default: user.email }} 様</p>
<p>{{ application.name | default: friendly_name }} のアカウント（{{ user.email }}）のメールアドレスを確認するため、次のリンクを開いてください。</p>
<p><a href="{{ url }}">メールアドレスを確認する</a></p>
<p>{{ url }}</p>
<p>このリンクは一度だけ使え、{{ url_lifetime_hours }} 時間で期限が切れます。このアカウントに心当たりがない場合は、このメールを無視してください。</p>
<p>{{ friendly_name }}</p>
"""

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
