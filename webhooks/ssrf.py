"""Outgoing URLs must not reach this host or its private networks (server-side request forgery).

A webhook URL is checked when it is saved and again before every attempt (a name can be pointed
elsewhere later): each address it resolves to must be a global one, never loopback, private,
link-local, shared, reserved or multicast. Redirects are never followed. Local receivers (tests,
a receiver on the same host) need ``REKEY_WEBHOOK_ALLOW_PRIVATE``, which also allows plain http.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(ValueError):
    """An outgoing URL that Rekey refuses to call."""


def url_check(url: str) -> None:
    """Raise UnsafeURL unless ``url`` is an https URL whose every address is a global one."""
    parts = urlsplit(url)
    allow_private = settings.REKEY_WEBHOOK_ALLOW_PRIVATE
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise UnsafeURL("The URL must use https.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL must not carry a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL has no host.")
    if allow_private:
        return
    try:
        port = parts.port or 443
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise UnsafeURL(f"{host} does not resolve.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise UnsafeURL(f"{host} resolves to a private or reserved address.")
