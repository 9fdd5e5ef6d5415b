"""The opsbot command line: serve, check-config, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
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
    commands.add_parser("check-config", help="print the effective configuration, secrets masked")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument(
        "action", choices=["upgrade", "current"], help="apply migrations / show the schema revision"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one opsbot command; configuration errors end with one clear line and exit code 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("OPSBOT_LOG_LEVEL", "INFO"), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings(os.environ, _path(args.config))
        if args.command == "check-config":
            print(json.dumps(masked_dump(settings), indent=2))
            return 0
        if args.command == "db":
            return _db(settings, args.action)
        return asyncio.run(_serve(settings, host=args.host, port=args.port))
    except ConfigError as error:
        print(f"opsbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _db(settings: Settings, action: str) -> int:
    from storage.migrate import current_revision, head_revision, upgrade

    url = settings.secrets.database_url.get_secret_value()
    if action == "upgrade":
        upgrade(url)
    print(f"schema at revision {current_revision(url)} (newest shipped: {head_revision()})")
    return 0


async def _serve(settings: Settings, *, host: str | None, port: int | None) -> int:
    from bot.deps import build_deps
    from bot.embedded import start_embedded_sandbox
    from bot.server import start_server

    host = host or settings.file.server.host
    port = settings.file.server.port if port is None else port
    closers = []
    if settings.secrets.slack_bot_token is None:
        settings, sandbox_close, message = await start_embedded_sandbox(settings, host=host, bot_port=port)
        closers.append(sandbox_close)
        print(message, flush=True)
    server = await start_server(build_deps(settings), host=host, port=port)
    closers.insert(0, server.close)
    print(f"opsbot listening on {server.url}", flush=True)
    await _wait_for_stop()
    for close in closers:
        await close()
    return 0


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    raise SystemExit(main())
