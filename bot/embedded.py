"""The embedded default: with no Slack token, opsbot brings its own Slack sandbox."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from bot.config import Settings
from sandbox import RunningSandbox, start_sandbox
from sandbox.page_actions import RunDigest

_WILDCARDS = {None, "", "0.0.0.0", "::"}


@dataclass
class EmbeddedSandbox:
    """A sandbox started next to the bot: the settings that point the bot at it, and its web page."""

    sandbox: RunningSandbox
    settings: Settings
    signing_secret: str
    message: str

    def connect(self, bot_url: str, *, run_digest: RunDigest | None = None) -> None:
        """Let the sandbox page reach the bot at `bot_url` (its base URL, e.g. http://127.0.0.1:3000).

        `run_digest` lets the page's digest buttons post one now, in-process (no HTTP endpoint on the bot).
        """
        base = loopback_url(bot_url)
        token = self.settings.secrets.alert_webhook_token
        self.sandbox.attach_bot(
            player=self.sandbox.player(bot_url=f"{base}/slack/events", signing_secret=self.signing_secret),
            alert_webhook_url=f"{base}/alerts/alertmanager",
            alert_webhook_token=token.get_secret_value() if token else None,
            run_digest=run_digest,
        )

    async def close(self) -> None:
        """Stop the sandbox (and the player it holds)."""
        await self.sandbox.close()


async def start_embedded_sandbox(settings: Settings, *, host: str, bot_port: int) -> EmbeddedSandbox:
    """Start the sandbox next to the bot; when `bot_port` is known, its page is wired to the bot at once."""
    signing_secret = secrets.token_hex(16)
    bot_token = "xoxb-sandbox-" + secrets.token_hex(8)
    sandbox = await start_sandbox(host=host, port=bot_port + 1 if bot_port else 0, bot_token=bot_token)
    updated = settings.secrets.model_copy(
        update={
            "slack_bot_token": SecretStr(bot_token),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_api_url": sandbox.api_url,
        }
    )
    embedded = EmbeddedSandbox(
        sandbox=sandbox,
        settings=settings.model_copy(update={"secrets": updated}),
        signing_secret=signing_secret,
        message=f"Slack sandbox (no Slack workspace needed): {sandbox.page_url}",
    )
    if bot_port:
        embedded.connect(f"http://{_url_host(host)}:{bot_port}")
    return embedded


def loopback_url(url: str) -> str:
    """Turn a wildcard listen address (0.0.0.0, ::) in `url` into loopback and drop a trailing slash."""
    parts = urlsplit(url.rstrip("/"))
    if parts.hostname in _WILDCARDS:
        parts = parts._replace(netloc=f"127.0.0.1:{parts.port}" if parts.port else "127.0.0.1")
    return urlunsplit(parts)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
