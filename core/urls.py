"""Service URLs (Redis, databases) as they may be shown: without their passwords."""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit, urlunsplit

# Redis's password, when its URL holds none: kept out of command lines (`ps` shows those to anyone)
REDIS_PASSWORD_ENV = "MNIST_EXPLORER_REDIS_PASSWORD"


def safe_url(url: str) -> str:
    """The URL without its password, for logs and pages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def redis_url(url: str) -> str:
    """`url` with the password of $MNIST_EXPLORER_REDIS_PASSWORD added, if it holds none."""
    password = os.environ.get(REDIS_PASSWORD_ENV)
    parts = urlsplit(url)
    if not password or parts.password or parts.scheme not in ("redis", "rediss"):
        return url
    user = quote(parts.username or "", safe="")
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{parts.hostname}{port}"))
