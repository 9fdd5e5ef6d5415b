"""Errors raised by the sandbox's state model and rendered as Slack Web API failures."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """A Slack-style failure: `{"ok": false, "error": code, ...extra}` with an HTTP status."""

    def __init__(
        self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def to_body(self) -> dict[str, Any]:
        """Render the failure as the JSON body Slack would send."""
        return {"ok": False, "error": self.error, **self.extra}


def invalid_arguments(*messages: str) -> SlackError:
    """Build Slack's `invalid_arguments` failure with its `[ERROR]` messages."""
    return SlackError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {m}" for m in messages]},
    )
