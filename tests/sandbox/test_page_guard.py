"""Only the sandbox's own page (or a script holding its key) drives the `/_sandbox/` control API."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from sandbox.page_guard import KEY_HEADER, PageGuard, guarded, is_loopback_host, refusal

GUARD = PageGuard(key="k3y", port=3001)
OWN = {"Host": "127.0.0.1:3001", KEY_HEADER: "k3y", "Content-Type": "application/json"}


def request(method: str = "POST", path: str = "/_sandbox/slash", **headers: str) -> web.Request:
    return make_mocked_request(method, path, headers={**OWN, **headers})


@pytest.mark.parametrize("path", ["/", "/_sandbox/state", "/_sandbox/events", "/_sandbox/slash"])
def test_the_page_and_its_api_are_guarded(path: str) -> None:
    assert guarded(path)


@pytest.mark.parametrize("path", ["/_sandbox/static/app.js", "/api/chat.postMessage", "/response/x", "/x"])
def test_static_files_the_web_api_and_slacks_own_urls_are_not(path: str) -> None:
    assert not guarded(path)


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "127.9.9.9", "::1", "[::1]"])
def test_loopback_names(name: str) -> None:
    assert is_loopback_host(name)


@pytest.mark.parametrize("name", [None, "", "0.0.0.0", "::", "192.168.0.2", "evil.example", "localhost.evil"])
def test_other_names(name: str | None) -> None:
    assert not is_loopback_host(name)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a script: no Origin
        {"Origin": "http://127.0.0.1:3001"},
        {"Host": "localhost:3001", "Origin": "http://localhost:3001"},
        {"Host": "[::1]:3001", "Origin": "http://[::1]:3001"},
    ],
)
def test_the_pages_own_requests_pass(headers: dict[str, str]) -> None:
    assert refusal(request(**headers), GUARD) is None


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({"Host": "evil.example:3001"}, 403, "not this sandbox's loopback address"),
        ({"Host": "127.0.0.1:3000"}, 403, "not this sandbox's loopback address"),
        ({"Host": "127.0.0.1"}, 403, "not this sandbox's loopback address"),
        ({"Origin": "http://evil.example"}, 403, "cross-origin request refused"),
        ({"Origin": "null"}, 403, "cross-origin request refused"),
        ({"Origin": "http://127.0.0.1:8080"}, 403, "cross-origin request refused"),
        ({KEY_HEADER: ""}, 403, "missing or wrong sandbox key"),
        ({KEY_HEADER: "k3y-"}, 403, "missing or wrong sandbox key"),
        ({"Content-Type": "text/plain"}, 415, "application/json only"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json only"),
    ],
)
def test_everything_else_is_refused_with_a_reason(headers: dict[str, str], status: int, reason: str) -> None:
    refused = refusal(request(**headers), GUARD)
    assert refused is not None and refused[0] == status and reason in refused[1]


def test_the_page_itself_needs_no_key_header_its_url_or_cookie_carries_it() -> None:
    assert refusal(request("GET", "/", **{KEY_HEADER: ""}), GUARD) is None


def test_the_cookie_is_named_after_the_port_cookies_ignore_ports() -> None:
    assert GUARD.cookie_name != PageGuard(key="k3y", port=3002).cookie_name
