"""URLs that may carry credentials (PROMETHEUS_URL, ALERTMANAGER_URL, OPSBOT_DATABASE_URL) are secrets: Slack
and HTTP answers see only their public part, `check-config` a masked copy."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"  # what SQLAlchemy's hide_password shows
# Query parameters that carry credentials in the URLs opsbot is given (libpq's password/sslpassword, API keys
# and tokens of proxies in front of Prometheus).
SECRET_QUERY_KEY = re.compile(r"pass|pwd|secret|token|key|auth|cred|sig", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL with its password and credential-like query values replaced by ***; unparseable → ***."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return MASK
    hidden = "opsbot-masked-value"  # rendered quoted otherwise: *** would show as %2A%2A%2A
    query = {key: hidden if SECRET_QUERY_KEY.search(key) else value for key, value in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True).replace(hidden, MASK)


def public_url(url: str) -> str:
    """Scheme, host, port and path only: what Slack or an answer may show (no user, password or query)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "(a URL that cannot be shown)"
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
