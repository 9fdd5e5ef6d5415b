"""The embedded default: with no Slack token, opsbot brings its own Slack sandbox.

It is a local tool, so it never touches what a deployment owns: the sandbox listens on loopback only
(start-up refuses a non-loopback --host, bot/startup_checks.py), and the bot runs on its own SQLite file in
the working directory, whatever OPSBOT_DATABASE_URL says, so a real database's pending Slack posts are never
"delivered" to the fake Slack. PagerDuty is the sandbox's stand-in as well (its own routing key and webhook
secret), whatever OPSBOT_PAGERDUTY_* say.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from bot.config import DEFAULT_DATABASE_URL, FileConfig, Settings
from sandbox import RunningSandbox, start_sandbox
from sandbox.page_actions import RunDigest
from sandbox.sample_channels import FEEDBACK_CHANNEL, SUPPORT_CHANNEL, seed_review_channels
from sandbox.twilio import SANDBOX_NUMBER

_WILDCARDS = {None, "", "0.0.0.0", "::"}
SANDBOX_HOST = "127.0.0.1"
SANDBOX_DATABASE = "opsbot-sandbox.db"  # beside the default opsbot.db, and never it


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
        secret = self.settings.secrets.pagerduty_webhook_secret
        assert secret is not None
        self.sandbox.pagerduty.connect_bot(
            f"{base}/pagerduty/webhook", signing_secrets=[secret.get_secret_value()]
        )
        self.sandbox.attach_bot(
            player=self.sandbox.player(bot_url=f"{base}/slack/events", signing_secret=self.signing_secret),
            alert_webhook_url=f"{base}/alerts/alertmanager",
            alert_webhook_token=token.get_secret_value() if token else None,
            run_digest=run_digest,
        )

    async def close(self) -> None:
        """Stop the sandbox (and the player it holds)."""
        await self.sandbox.close()


async def start_embedded_sandbox(
    settings: Settings,
    *,
    host: str,
    bot_port: int,
    workdir: Path | None = None,
    sample_history: bool = True,
) -> EmbeddedSandbox:
    """Start the sandbox on loopback next to the bot listening on `host` (a loopback address); when
    `bot_port` is known, its page is wired to the bot at once. The settings it returns point the bot at the
    sandbox and at `workdir`/opsbot-sandbox.db (default: the working directory). With `sample_history`
    its #user-feedback and #support hold a past month for the weekly review (Slack's history lives in the
    sandbox, so it is told on every start, unlike the database's)."""
    signing_secret = secrets.token_hex(16)
    bot_token = "xoxb-sandbox-" + secrets.token_hex(8)
    database = (workdir or Path.cwd()).absolute() / SANDBOX_DATABASE
    port = bot_port + 1 if bot_port else 0
    sandbox = await start_sandbox(host=SANDBOX_HOST, port=port, bot_token=bot_token)
    sandbox.twilio.auth_token = secrets.token_hex(16)
    if sample_history:
        seed_review_channels(sandbox.workspace, now=time.time())
    updated = settings.secrets.model_copy(
        update={
            "slack_bot_token": SecretStr(bot_token),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_api_url": sandbox.api_url,
            "database_url": SecretStr(f"sqlite:///{database}"),
            "twilio_account_sid": SecretStr(sandbox.twilio.account_sid),
            "twilio_auth_token": SecretStr(sandbox.twilio.auth_token),
            # PagerDuty is the sandbox's stand-in too: a real routing key must not page real people
            "pagerduty_routing_key": SecretStr(sandbox.pagerduty.add_routing_key()),
            "pagerduty_webhook_secret": SecretStr(secrets.token_hex(16)),
        }
    )
    embedded = EmbeddedSandbox(
        sandbox=sandbox,
        settings=settings.model_copy(
            update={"secrets": updated, "file": _review_channels(_paging_to(sandbox, settings))}
        ),
        signing_secret=signing_secret,
        message=_started_message(sandbox, database, settings),
    )
    if bot_port:
        embedded.connect(f"http://{_url_host(host)}:{bot_port}")
    return embedded


def _paging_to(sandbox: RunningSandbox, settings: Settings) -> FileConfig:
    """The file settings with PagerDuty's Events API and Twilio pointed at the sandbox's stand-ins (its page
    lists what they were sent), never at a real account."""
    paging = settings.file.paging
    pagerduty = paging.pagerduty.model_copy(update={"events_url": sandbox.pagerduty_events_url})
    sms = paging.sms.model_copy(
        update={"api_url": sandbox.twilio_url, "from_number": SANDBOX_NUMBER, "messaging_service_sid": None}
    )
    return settings.file.model_copy(
        update={"paging": paging.model_copy(update={"pagerduty": pagerduty, "sms": sms})}
    )


def _review_channels(file: FileConfig) -> FileConfig:
    """The file settings with the weekly review reading the sandbox's #user-feedback and #support, unless
    the configuration names channels of its own."""
    digests = file.digests
    chosen = {
        "feedback_channel": digests.feedback_channel or FEEDBACK_CHANNEL,
        "support_channel": digests.support_channel or SUPPORT_CHANNEL,
    }
    return file.model_copy(update={"digests": digests.model_copy(update=chosen)})


def _started_message(sandbox: RunningSandbox, database: Path, settings: Settings) -> str:
    configured = settings.secrets.database_url.get_secret_value() != DEFAULT_DATABASE_URL
    ignored = " (OPSBOT_DATABASE_URL is not used without SLACK_BOT_TOKEN)" if configured else ""
    return (
        f"Slack sandbox (no Slack workspace needed): {sandbox.page_url}\n"
        f"  sandbox database: {database}{ignored}"
    )


def loopback_url(url: str) -> str:
    """Turn a wildcard listen address (0.0.0.0, ::) in `url` into loopback and drop a trailing slash."""
    parts = urlsplit(url.rstrip("/"))
    if parts.hostname in _WILDCARDS:
        parts = parts._replace(netloc=f"127.0.0.1:{parts.port}" if parts.port else "127.0.0.1")
    return urlunsplit(parts)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
