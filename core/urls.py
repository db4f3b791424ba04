"""Service URLs (Redis, databases) as they may be shown: without their passwords."""

from __future__ import annotations


def safe_url(url: str) -> str:
    """The URL without its password, for logs and pages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
