"""The opsbot command line: serve, check-config, db upgrade, digest, sandbox, outbox."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path

from bot.config import Settings, load_settings, masked_dump
from bot.errors import ConfigError

log = logging.getLogger("opsbot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opsbot", description="Slack ChatOps for teams running a live product."
    )
    parser.add_argument(
        "--config", help="YAML configuration file (default: $OPSBOT_CONFIG or packaged defaults)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (HTTP server, Socket Mode, scheduler)")
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default from config: 3000)")
    serve.add_argument(
        "--empty",
        action="store_true",
        help="without SLACK_BOT_TOKEN: start the sandbox without its sample month of history",
    )
    commands.add_parser(
        "check-config",
        help="print the effective configuration (secrets masked), then its problems: overlapping team "
        "matchers, team names that are metric names, and (with SLACK_BOT_TOKEN) unknown users and channels",
    )
    digest = commands.add_parser(
        "digest", help="post (or preview) the weekly review, the monthly deep dive or the info review"
    )
    digest.add_argument("kind", choices=["weekly", "monthly", "info"])
    digest.add_argument("--dry-run", action="store_true", help="print the digest here instead of posting it")
    digest.add_argument("--team", help="the team (a handle of teams:; default: the default team)")
    digest.add_argument(
        "--for", dest="for_day", type=date.fromisoformat, help="a day in the period (info: the review's day)"
    )
    digest.add_argument("--force", action="store_true", help="post again even if the period was posted")
    sandbox = commands.add_parser("sandbox", help="run the Slack sandbox (Web API + web page) on its own")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=3001, help="port to listen on (default: 3001)")
    sandbox.add_argument("--bot-url", help="the bot's base URL, e.g. http://127.0.0.1:3000 (for the page)")
    sandbox.add_argument("--signing-secret", help="the bot's SLACK_SIGNING_SECRET (needed with --bot-url)")
    _add_outbox_parser(commands)
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument(
        "action", choices=["upgrade", "current"], help="apply migrations / show the schema revision"
    )
    return parser


OUTBOX_RETRY_HELP = (
    "Put failed (or stuck pending) jobs back to pending, due now, their attempts kept. Their created_at "
    "becomes now, so the time-bounded retry horizon (delivery.give_up_after_hours) starts again. All or "
    "nothing: an unknown, done or running job id changes nothing and exits with code 2."
)


def _add_outbox_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = commands.add_parser("outbox", help="list outbox jobs; retry failed or stuck ones")
    actions = outbox.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="print outbox jobs as a table (id, kind, lane, status, …)")
    listing.add_argument(
        "--status", choices=["failed", "pending", "overdue", "all"], default="failed",
        help="which jobs (default: failed; overdue = pending and due over a minute ago)",
    )  # fmt: skip
    listing.add_argument("--limit", type=int, default=20, help="at most this many jobs (default: 20)")
    retry = actions.add_parser("retry", help="send failed or stuck jobs again", description=OUTBOX_RETRY_HELP)
    retry.add_argument("ids", nargs="*", type=int, metavar="ID", help="job ids (see `opsbot outbox list`)")
    retry.add_argument("--failed", action="store_true", help="every failed job")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one opsbot command; configuration errors end with one clear line and exit code 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("OPSBOT_LOG_LEVEL", "INFO"), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "sandbox":
        return _sandbox_command(args)
    try:
        settings = load_settings(os.environ, _path(args.config))
        if args.command == "check-config":
            return _check_config(settings)
        if args.command == "db":
            return _db(settings, args.action)
        if args.command == "digest":
            from bot.digest_cli import run_digest_command

            return asyncio.run(run_digest_command(settings, args))
        if args.command == "outbox":
            from bot.outbox_cli import run_outbox_command

            return asyncio.run(run_outbox_command(settings, args))
        return asyncio.run(_serve(settings, host=args.host, port=args.port, sample_history=not args.empty))
    except ConfigError as error:
        print(f"opsbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _check_config(settings: Settings) -> int:
    """Print the effective configuration, then its problems (to stderr); 1 when any is an error."""
    from bot.services.config_check import check

    if "OPSBOT_LOG_LEVEL" not in os.environ:  # the report is the output; progress lines would interleave
        logging.getLogger().setLevel(logging.WARNING)
    print(json.dumps(masked_dump(settings), indent=2), flush=True)
    report = asyncio.run(check(settings))
    print(report.text(), file=sys.stderr)
    return 1 if report.has_errors else 0


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _db(settings: Settings, action: str) -> int:
    from storage.migrate import current_revision, head_revision, upgrade

    url = settings.secrets.database_url.get_secret_value()
    if action == "upgrade":
        upgrade(url)
    print(f"schema at revision {current_revision(url)} (newest shipped: {head_revision()})")
    return 0


async def _serve(
    settings: Settings, *, host: str | None, port: int | None, sample_history: bool = True
) -> int:
    # Start-up builds a large, long-lived object graph (SQLAlchemy, pydantic, Bolt): collecting it over
    # and over while it grows costs ~150 ms, and collecting it later costs pauses on every full pass.
    gc.disable()
    from bot.deps import build_deps
    from bot.server import start_server

    host = host or settings.file.server.host
    port = settings.file.server.port if port is None else port
    closers = []
    embedded = None
    if settings.secrets.slack_bot_token is None:
        _refuse_sandbox_off_loopback(settings, host)  # before the sandbox starts, not only before the bot
        from bot.embedded import start_embedded_sandbox  # the sandbox is loaded only when it is used

        embedded = await start_embedded_sandbox(
            settings, host=host, bot_port=port, sample_history=sample_history
        )
        settings = embedded.settings
        closers.append(embedded.close)
        print(embedded.message, flush=True)
    prepare = partial(_seed_sample_history, settings) if embedded and sample_history else None
    server = await start_server(build_deps(settings), host=host, port=port, prepare=prepare)
    closers.insert(0, server.close)
    if embedded is not None:
        from bot.services.info_reviews import run_digest_now

        async def run_digest(period: str, *, so_far: bool = False) -> str:
            if server.ready is not None:  # a digest of half the sample history would mislead
                await asyncio.shield(server.ready)
            return await run_digest_now(server.deps, period, so_far=so_far)

        # the page can now play Slack toward the bot (port 0 included) and run digests in-process
        embedded.connect(server.url, run_digest=run_digest)
    gc.freeze()  # what start-up built lives as long as the process: keep it out of every later collection
    gc.enable()
    print(f"opsbot listening on {server.url}", flush=True)
    await _wait_for_stop()
    for close in closers:
        await close()
    return 0


async def _seed_sample_history(settings: Settings) -> None:
    """Give a fresh sandbox database its sample month while the bot already answers; its outbox starts
    after (start_server's `prepare`)."""
    from bot.services.sample_history import seed_once

    told = "a past month of alerts, incidents and tickets (10–20 s; the page works meanwhile)"
    print(f"  telling {told} …", flush=True)
    seeded = await seed_once(settings)
    print(f"  {seeded.describe() if seeded else ALREADY_SEEDED}", flush=True)


ALREADY_SEEDED = "no sample history added: the sandbox database has it already (or alerts of its own)"


def _refuse_sandbox_off_loopback(settings: Settings, host: str) -> None:
    from bot.startup_checks import sandbox_off_loopback

    problem = sandbox_off_loopback(settings, host)
    if problem is not None:
        raise ConfigError(problem)


def _sandbox_command(args: argparse.Namespace) -> int:
    from bot.startup_checks import is_loopback

    if args.bot_url and not args.signing_secret:
        print("opsbot: --bot-url needs --signing-secret (the bot's SLACK_SIGNING_SECRET)", file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(f"opsbot: the Slack sandbox listens on loopback only; {args.host!r} is not", file=sys.stderr)
        return 2
    try:
        running = _run_sandbox(args.host, args.port, bot_url=args.bot_url, secret=args.signing_secret)
        return asyncio.run(running)
    except KeyboardInterrupt:
        return 130


async def _run_sandbox(host: str, port: int, *, bot_url: str | None, secret: str | None) -> int:
    """Serve the sandbox alone until stopped; with a bot URL its page plays Slack toward that bot."""
    from bot.embedded import loopback_url
    from sandbox import DEFAULT_BOT_TOKEN, start_sandbox
    from sandbox.twilio import SANDBOX_NUMBER

    sandbox = await start_sandbox(host=host, port=port, bot_token=DEFAULT_BOT_TOKEN)
    print(f"Slack sandbox (no Slack workspace needed): {sandbox.page_url}", flush=True)
    env = f"SLACK_BOT_TOKEN={sandbox.bot_token} SLACK_API_URL={sandbox.api_url}"
    print(f"  start the bot with {env}", flush=True)
    twilio = sandbox.twilio
    print(
        f"  and for SMS pages OPSBOT_TWILIO_ACCOUNT_SID={twilio.account_sid} "
        f"OPSBOT_TWILIO_AUTH_TOKEN={twilio.auth_token}, paging.sms.api_url: {sandbox.twilio_url}, "
        f"from_number: '{SANDBOX_NUMBER}'",
        flush=True,
    )
    if bot_url and secret:
        base = loopback_url(bot_url).removesuffix("/slack/events")
        player = sandbox.player(bot_url=f"{base}/slack/events", signing_secret=secret)
        sandbox.attach_bot(player=player, alert_webhook_url=f"{base}/alerts/alertmanager")
        print(f"  the page plays Slack toward {base}/slack/events", flush=True)
    else:
        print("  no --bot-url: the page shows the workspace but cannot reach a bot", flush=True)
    await _wait_for_stop()
    await sandbox.close()
    return 0


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    raise SystemExit(main())
