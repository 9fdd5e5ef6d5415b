"""Who may use the sandbox page and its `/_sandbox/` control API: whoever opened the URL printed at start.

The control API plays Slack toward a bot with its real signing secret, so no other web page in the same
browser may drive it. Every request must come to a loopback Host of this sandbox (a DNS-rebound name is
another host), from this sandbox's own Origin when the browser names one, carrying the per-start key (the
cookie the page gets from its URL, or a header for scripts); a POST must be `application/json`, which no
cross-site form can send. The Slack Web API (`/api/*`, bot-token authenticated) is not guarded here.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from yarl import URL

KEY_HEADER = "X-Sandbox-Key"
KEY_PARAM = "key"
_STATIC = "/_sandbox/static/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class PageGuard:
    """The per-start key and the port the sandbox listens on (known once it is bound)."""

    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    port: int | None = None

    @property
    def cookie_name(self) -> str:
        """Cookies ignore ports: one name per sandbox port keeps two local sandboxes apart."""
        return f"opsbot_sandbox_{self.port}"

    def accepts(self, presented: str | None) -> bool:
        """True when `presented` is this start's key (compared in constant time)."""
        return presented is not None and hmac.compare_digest(presented.encode(), self.key.encode())


PAGE_GUARD_KEY: web.AppKey[PageGuard] = web.AppKey("sandbox_page_guard", PageGuard)


def is_loopback_host(name: str | None) -> bool:
    """True for names that reach this machine only: localhost, 127.0.0.0/8, ::1."""
    if name is None:
        return False
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def guarded(path: str) -> bool:
    """The page and its control API are guarded; static files, the Web API and Slack's own URLs are not."""
    return path == "/" or (path.startswith("/_sandbox/") and not path.startswith(_STATIC))


def refusal(request: web.Request, guard: PageGuard) -> tuple[int, str] | None:
    """Return (status, reason) when the request must be refused, else None."""
    if not _own_host(request.host, guard.port):
        return 403, f"Host {request.host!r} is not this sandbox's loopback address"
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"http://{request.host}":
        return 403, f"cross-origin request refused (Origin {origin!r})"
    if request.path != "/" and not guard.accepts(_presented_key(request, guard)):
        return 403, "missing or wrong sandbox key: open the page URL opsbot printed at start (…/?key=…)"
    if request.method == "POST" and request.content_type != "application/json":
        return 415, f"the sandbox control API takes application/json only, not {request.content_type!r}"
    return None


def _own_host(host: str, port: int | None) -> bool:
    try:
        url = URL(f"http://{host}")
    except ValueError:
        return False
    return is_loopback_host(url.host) and (port is None or url.explicit_port == port)


def _presented_key(request: web.Request, guard: PageGuard) -> str | None:
    return request.headers.get(KEY_HEADER) or request.cookies.get(guard.cookie_name)


async def open_page(request: web.Request, guard: PageGuard, handler: Handler) -> web.StreamResponse:
    """`GET /?key=…` trades the key for a same-site cookie and drops it from the address bar."""
    if guard.accepts(request.query.get(KEY_PARAM)):
        response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(guard.cookie_name, guard.key, httponly=True, samesite="Strict", path="/")
        return response
    if guard.accepts(request.cookies.get(guard.cookie_name)):
        return await handler(request)
    return web.Response(
        status=403, text="Open the sandbox URL opsbot printed at start: it carries this start's ?key=…\n"
    )


@web.middleware
async def guard_page(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse page and control-API requests that do not come from this sandbox's own page (or a script
    holding its key)."""
    if not guarded(request.path):
        return await handler(request)
    guard = request.app[PAGE_GUARD_KEY]
    refused = refusal(request, guard)
    if refused is not None:
        status, reason = refused
        return web.json_response({"ok": False, "error": reason}, status=status)
    if request.path == "/":
        return await open_page(request, guard, handler)
    return await handler(request)
