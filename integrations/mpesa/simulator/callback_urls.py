"""Safaricom's rules for the URLs registered for C2B notifications (reference §8.1; OFF3
CustomerToBusinessRegisterURL "URL Requirements" and CustomerToBusiness FAQ 8):

- HTTPS ("All Production URLs must be HTTPS").
- None of the words "M-PESA, M-Pesa, mpesa, Safaricom, exe, exec, cmd, sql, query", in any
  case, anywhere in the URL.

A local URL (``localhost``, a loopback, private or link-local address, a host name without a
dot such as a compose service, or a ``.local``/``.localhost``/``.internal`` name) can never be
registered with Safaricom, who must reach it over the internet; ``allow_local`` lets a developer
register one anyway, and then neither rule applies to it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

FORBIDDEN_WORDS = ("m-pesa", "mpesa", "safaricom", "exe", "exec", "cmd", "sql", "query")
LOCAL_SUFFIXES = (".local", ".localhost", ".internal")


def is_local(host: str) -> bool:
    """``host`` as ``urlsplit`` gives it: lower case, an IPv6 address without brackets."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local


def acceptable(url: str, *, allow_local: bool) -> bool:
    """Whether Safaricom would register ``url`` as a C2B confirmation or validation URL."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if allow_local and is_local(host):
        return True
    lowered = url.lower()
    return parts.scheme == "https" and not any(word in lowered for word in FORBIDDEN_WORDS)
