"""Alertmanager's v2 API: create, read and expire silences (what Snooze and /oncall need)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from bot.errors import UpstreamError

BODY_EXCERPT = 200


class AlertmanagerClient:
    """Talk to one Alertmanager; every failure becomes an `UpstreamError` that says what happened."""

    def __init__(
        self, base_url: str, *, session: aiohttp.ClientSession | None = None, timeout: float = 5.0
    ) -> None:
        self._base = base_url.rstrip("/")
        self._shown = public_url(self._base)
        self._session = session
        self._owns_session = session is None
        self._timeout = timeout

    async def __aenter__(self) -> AlertmanagerClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def create_silence(
        self,
        *,
        matchers: Mapping[str, str | tuple[str, ...]],
        ends_at: datetime,
        created_by: str,
        comment: str,
        starts_at: datetime | None = None,
    ) -> str:
        """Silence alerts whose labels equal `matchers` until `ends_at`; return the silence id.

        A label given several values matches any of them; the value "" matches alerts without the label.
        """
        if not matchers:
            raise ValueError("a silence needs at least one matcher")
        body = {
            "matchers": [_matcher(name, value) for name, value in matchers.items()],
            "startsAt": _timestamp(starts_at or datetime.now(UTC)),
            "endsAt": _timestamp(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = await self._request("POST", "/api/v2/silences", body=body)
        silence_id = answer.get("silenceID") if isinstance(answer, dict) else None
        if not isinstance(silence_id, str):
            raise UpstreamError(f"Alertmanager at {self._shown} created a silence but sent no silenceID")
        return silence_id

    async def expire_silence(self, silence_id: str) -> None:
        """End a silence now, so its alerts notify again."""
        await self._request("DELETE", f"/api/v2/silence/{quote(silence_id, safe='')}")

    async def get_silence(self, silence_id: str) -> dict[str, Any]:
        """Return a silence as Alertmanager describes it (matchers, times, status.state)."""
        answer = await self._request("GET", f"/api/v2/silence/{quote(silence_id, safe='')}")
        if not isinstance(answer, dict):
            raise UpstreamError(f"Alertmanager at {self._shown} answered silence {silence_id} with no object")
        return answer

    def silence_url(self, silence_id: str) -> str:
        """Link to the silence in Alertmanager's web UI (without any credentials of the base URL)."""
        return f"{self._shown}/#/silences/{quote(silence_id, safe='')}"

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(self, method: str, path: str, *, body: Mapping[str, Any] | None = None) -> Any:
        """Send one request; turn refusals, time-outs, non-2xx and bad JSON into UpstreamError."""
        where = f"Alertmanager at {self._shown}"
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        url = self._base + path
        try:
            async with self._http().request(method, url, json=body, timeout=timeout) as response:
                text = await response.text()
                status = response.status
        except TimeoutError:
            raise UpstreamError(f"{where} did not answer in {self._timeout:g} s ({method} {path})") from None
        except aiohttp.ClientConnectorError as error:
            raise UpstreamError(f"{where} could not be reached: {_reason(error.os_error)}") from None
        except aiohttp.ClientError as error:
            raise UpstreamError(f"{where} failed during {method} {path}: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise UpstreamError(f"{where} answered {status} to {method} {path}: {_excerpt(text)}")
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise UpstreamError(f"{where} sent invalid JSON for {method} {path}: {_excerpt(text)}") from None

    def _http(self) -> aiohttp.ClientSession:
        """Create the session on first use: a ClientSession belongs to a running event loop."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


def public_url(url: str) -> str:
    """Drop user:password from a URL so it can appear in messages and links."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _matcher(name: str, value: str | tuple[str, ...]) -> dict[str, Any]:
    """One matcher on the wire: `name="value"`, or for several values an anchored alternation of literals
    (Alertmanager anchors regex matchers; re.escape's escapes are literals in Go's RE2 syntax too)."""
    values = (value,) if isinstance(value, str) else value
    if not values:
        raise ValueError(f"the matcher on {name} has no value")
    if len(values) == 1:
        return {"name": name, "value": values[0], "isRegex": False, "isEqual": True}
    pattern = "|".join(re.escape(v) for v in values)
    return {"name": name, "value": pattern, "isRegex": True, "isEqual": True}


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("silence times must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _reason(error: OSError) -> str:
    """Say why a connection failed in the OS's words ("Connection refused"), not aiohttp's repr."""
    if error.errno is not None and error.errno > 0:
        return os.strerror(error.errno)
    return error.strerror or type(error).__name__


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:BODY_EXCERPT] + ("…" if len(flat) > BODY_EXCERPT else "") if flat else "(empty body)"
