"""Fixtures shared by every tier: databases (SQLite and PostgreSQL), the Slack sandbox, opsbot itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings, deep_merge, load_settings
from bot.deps import Deps, build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer, start_sandbox
from storage.db import Database, create_database
from storage.migrate import upgrade
from tests.support import databases, slack_calls
from tests.support.processes import QUIET_BY_DEFAULT, OpsbotProcesses
from tests.support.services import postgres_reachable, require

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-sandbox-token"
# Fixtures that start real `opsbot serve` processes (kill -9, restarts, replicas).
PROCESS_FIXTURES = frozenset({"opsbot_processes", "opsbot_serve"})
TESTS = Path(__file__).resolve().parent
# Tiers no clock reaches: Block Kit rendering, the sandbox's own rules, property tests of parsers, deploy
# files, the Alertmanager client, and the repository checks at the top.
CALENDAR_FREE_TIERS = frozenset(
    {"blocks", "sandbox", "properties", "deploy", "clients", "test_manifest.py", "test_locks.py",
     "test_faketime_run.py"}
)  # fmt: skip


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that start real opsbot processes one after another on one xdist worker.

    They measure seconds-level timers, leases and schedules across several processes; two of them at once on a
    2-core machine would test the machine's load instead. Everything else spreads over the other workers.
    """
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("opsbot-processes"))
        if Path(str(item.path)).relative_to(TESTS).parts[0] in CALENDAR_FREE_TIERS:
            item.add_marker(pytest.mark.calendar_free)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database on the local PostgreSQL server (created once per run)."""
    require(postgres_reachable(), "PostgreSQL at 127.0.0.1:5432")
    name = databases.create_template()
    yield name
    databases.drop(name)


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = databases.create_copy(postgres_template)
    yield databases.url_for(name)
    databases.drop(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'opsbot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database handle on `database_url` (SQLite and PostgreSQL), for storage-level tests."""
    await asyncio.to_thread(upgrade, database_url)
    database = create_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def bot_database_url(sqlite_url: str) -> str:
    """The database opsbot runs on in end-to-end tests (override in a module to change it)."""
    return sqlite_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    """YAML configuration merged over the packaged defaults (override in a module to change it)."""
    return {}


_SEEN_CALLS: set[slack_calls.Call] = set()
_E2E = Path(__file__).resolve().parent / "e2e"


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    """The Slack sandbox as opsbot meets it: the scopes manifest.yml asks for, Slack's rate limits on.

    When it closes, every Web API call opsbot made must be on the list manifest.yml's scopes are checked
    against (tests/support/slack_calls.py), and none of opsbot's messages may notify a whole channel or
    user group (sandbox/mentions.py)."""
    running = await start_sandbox(port=0, bot_token=BOT_TOKEN, rate_limits=True)
    yield running
    await running.close()
    # opsbot never notifies a whole channel or user group: outside text cannot make it (bot/blocks/text.py).
    broadcasts = running.workspace.broadcasts()
    assert not broadcasts, f"opsbot posted messages that notify a channel or group: {broadcasts}"
    made = slack_calls.calls_made(running.workspace)
    _SEEN_CALLS.update(made)
    missing = slack_calls.unlisted(made)
    assert not missing, f"opsbot called Web API methods missing from OPSBOT_CALLS: {missing}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Record this process's calls; in the main process, fail a run of the whole e2e tier on unused entries.

    Under xdist each worker writes its own file under the session's base temporary directory and the main
    process, finishing after them, merges the files. Only a run of every e2e module is judged (no `-k`):
    a partial run cannot know that an entry is unused."""
    base = session.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    ran = {Path(str(item.path)).name for item in session.items if Path(str(item.path)).parent == _E2E}
    slack_calls.write_record(base, worker, _SEEN_CALLS, ran)
    if worker != "main" or session.config.option.keyword:
        return
    unused = slack_calls.unused_entries(base, {p.name for p in _E2E.glob("test_*.py")})
    if unused:
        session.config.get_terminal_writer().line(
            f"OPSBOT_CALLS lists calls the end-to-end tier never made: {unused}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def make_settings(
    tmp_path: Path, sandbox: Any, bot_database_url: str, bot_config: dict[str, Any]
) -> Callable[..., Settings]:
    """Build opsbot settings pointing at the sandbox; keyword arguments override environment variables."""

    def make(**env: str) -> Settings:
        config_path = tmp_path / "opsbot.yml"
        # Host checks read the real machine and the digest schedule the real calendar: off unless a test
        # turns them on (see QUIET_BY_DEFAULT).
        config_path.write_text(yaml.safe_dump(deep_merge(QUIET_BY_DEFAULT, bot_config)))
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox.api_url,
            "OPSBOT_DATABASE_URL": bot_database_url,
            "OPSBOT_CONFIG": str(config_path),
            **env,
        }
        return load_settings(environ)

    return make


@pytest.fixture
async def deps_at(
    make_settings: Callable[..., Settings], bot_database_url: str
) -> AsyncIterator[Callable[[datetime], Deps]]:
    """Build opsbot's dependencies (one replica: its own engine and metrics) on the test's migrated database,
    each with its clock stopped at the instant given."""
    await asyncio.to_thread(upgrade, bot_database_url)
    made: list[Deps] = []

    def make(now: datetime) -> Deps:
        deps = build_deps(make_settings(), clock=lambda: now)
        made.append(deps)
        return deps

    yield make
    for deps in made:
        await deps.close()


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings]) -> AsyncIterator[RunningServer]:
    """opsbot served on an ephemeral loopback port, talking to the sandbox."""
    server = await start_server(build_deps(make_settings()), host="127.0.0.1", port=0)
    yield server
    await server.close()


@pytest.fixture
async def opsbot_processes(
    sandbox: Any, bot_database_url: str, bot_config: dict[str, Any], tmp_path: Path
) -> AsyncIterator[OpsbotProcesses]:
    """Real `opsbot serve` processes on the test's database and sandbox (to kill, restart, or replicate)."""
    processes = OpsbotProcesses.for_sandbox(
        api_url=sandbox.api_url,
        token=BOT_TOKEN,
        secret=SIGNING_SECRET,
        database_url=bot_database_url,
        config=bot_config,
        workdir=tmp_path,
    )
    yield processes
    await processes.close()


@pytest.fixture
async def slack(opsbot: RunningServer, sandbox: Any) -> AsyncIterator[SlackPlayer]:
    """The sandbox playing Slack toward opsbot: signed commands, clicks, events."""
    player = SlackPlayer(
        sandbox.workspace,
        bot_url=f"{opsbot.url}/slack/events",
        signing_secret=SIGNING_SECRET,
        sandbox_url=sandbox.url,
    )
    yield player
    close = getattr(player, "close", None)
    if close is not None:
        await close()


@pytest.fixture(autouse=True)
def _no_package_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's PIP_INDEX_URL would make every digest a test builds ask a real registry (the review's
    dependency items read it): tests reach loopback only, so it is unset (opsbot processes inherit that)."""
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
