"""OpenID Connect provider on Auth0's paths, built on authlib's OAuth 2.0 / OIDC server.

``server`` holds the grants and their storage, ``tokens`` the user access and ID tokens, ``views``
the endpoints (/authorize, /userinfo, /oauth/revoke, /v2/logout, the discovery document). The
token endpoint stays ``accounts.api.oauth.OAuthTokenApi``, which hands every grant but
client_credentials to ``server``.
"""
