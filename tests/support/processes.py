"""Real `opsbot serve` processes for tests that kill, restart or run several replicas."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import deep_merge

# What every test's opsbot runs without unless the test turns it on: host checks read the real machine (a
# nearly full disk on a CI box would leak alerts into unrelated tests), and the digest schedule reads the
# real calendar (on a Monday after 09:00 every opsbot would catch up last week's review at start), and a
# warning's review reminder is a timer an hour out (tests that wait for an empty outbox would wait for it).
# With digests off there is no daily info review either, so info alerts get a message each, as with
# alerts.info_review.mode: per_alert (tests/e2e/test_info_review.py turns the review on).
QUIET_BY_DEFAULT: dict[str, Any] = {
    "host_checks": {"enabled": False},
    "digests": {"enabled": False},
    "alerts": {"warning_review_minutes": 0},
}


@dataclass
class Replica:
    url: str
    process: asyncio.subprocess.Process

    def kill(self) -> None:
        """SIGKILL: no clean-up, as a crash or an OOM kill would leave it."""
        self.process.send_signal(signal.SIGKILL)


@dataclass
class OpsbotProcesses:
    """Start opsbot processes sharing one database and one sandbox; all are killed at close()."""

    env: dict[str, str]
    replicas: list[Replica] = field(default_factory=list)

    @classmethod
    def for_sandbox(
        cls,
        *,
        api_url: str,
        token: str,
        secret: str,
        database_url: str,
        config: dict[str, object],
        workdir: Path,
    ) -> OpsbotProcesses:
        path = workdir / "opsbot-processes.yml"
        path.write_text(yaml.safe_dump(deep_merge(QUIET_BY_DEFAULT, config)))
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": token,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": api_url,
            "OPSBOT_DATABASE_URL": database_url,
            "OPSBOT_CONFIG": str(path),
            "OPSBOT_LOG_LEVEL": "WARNING",
        }
        return cls(env=env)

    async def start(self, *, log: Path | None = None, **env: str) -> Replica:
        """Start one more `opsbot serve` on a free port; return once it listens.

        `env` overrides environment variables; `log` receives its log (stderr), else it is dropped.
        """
        with (log or Path(os.devnull)).open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--port",
                "0",
                env={**self.env, **env},
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        assert process.stdout is not None
        async with asyncio.timeout(30):
            while line := (await process.stdout.readline()).decode():
                if "opsbot listening on" in line:
                    replica = Replica(line.split("opsbot listening on ")[1].strip(), process)
                    self.replicas.append(replica)
                    return replica
        raise RuntimeError("opsbot did not start")

    async def close(self) -> None:
        for replica in self.replicas:
            if replica.process.returncode is None:
                replica.kill()
            await replica.process.wait()
