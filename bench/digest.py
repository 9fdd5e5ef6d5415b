"""Digest benchmark: build the weekly review and the monthly deep dive over a large history.

Seeds 1,000,000 alert firings (episodes) over a year in 2,000 groups of ten alerts each, with ~330,000
group firings, 10,000 incidents (when the incidents table exists) and a month of host samples with bulk
inserts (executemany on SQLite, COPY on PostgreSQL, then ANALYZE as autovacuum would), then times building
both digests (every SQL aggregation, incidents, KPIs from host samples; no Slack). Target: under 1 s each.

    python bench/digest.py [--episodes 1000000] [--incidents 10000] [--database-url URL]
    python bench/digest.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres --fresh-db
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# after the path set-up, so it runs from a checkout
from bot.config import load_settings  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.domain.digest_periods import DigestKind, period_containing  # noqa: E402
from bot.services import digests  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.support.digest_history import seed_history  # noqa: E402

END = datetime(2026, 11, 23, tzinfo=UTC)  # history runs up to Monday 23 November 2026


def fresh_postgres(url: str) -> str:
    """Create an empty database next to the one `url` names and return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"opsbot_bench_{secrets.token_hex(4)}"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str, *, admin_url: str) -> None:
    """Drop the database `fresh_postgres` created (connected to the one it was created from)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def analyze(url: str) -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum soon would on its own."""
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("ANALYZE")


async def time_builds(url: str, *, rounds: int) -> dict[str, list[float]]:
    """Build each digest `rounds` times for the default team (the rest) and for the payments team."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "opsbot.yml"
        config.write_text('teams:\n  - {name: payments, match: ["team=payments"]}\n')
        settings = load_settings({"OPSBOT_DATABASE_URL": url}, config)
    deps = build_deps(settings, clock=lambda: END)
    figures: dict[str, list[float]] = {}
    try:
        for team in settings.teams:
            for kind, day in (
                (DigestKind.WEEKLY, date(2026, 11, 18)),
                (DigestKind.MONTHLY, date(2026, 10, 15)),
            ):
                period = period_containing(kind, day, team.timezone)
                name = f"{kind.value} {period.label} ({team.handle})"
                for _ in range(rounds):
                    started = time.perf_counter()
                    await digests.build(deps, team, period)
                    figures.setdefault(name, []).append(time.perf_counter() - started)
    finally:
        await deps.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000, help="alert firings")
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200_000, help="host samples (disk and memory)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--fresh-db", action="store_true", help="PostgreSQL: create a new database first")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="opsbot-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    if args.fresh_db and url.startswith("postgresql"):
        url = fresh_postgres(url)
    upgrade(url)
    started = time.perf_counter()
    history = seed_history(
        url,
        episodes=args.episodes,
        groups=args.groups,
        incidents=args.incidents,
        samples=args.samples,
        end=END,
        days=365,
    )
    if url.startswith("postgresql"):
        analyze(url)
    seeded = time.perf_counter() - started
    print(f"database: {url.split('@')[-1]}")
    print(f"seeded {history.episodes:,} alert firings of {history.alerts:,} alerts, {history.groups:,} "
          f"groups with {history.group_episodes:,} group firings, {args.incidents:,} incidents, "
          f"{args.samples:,} host samples in {seeded:.1f} s")  # fmt: skip
    try:
        figures = asyncio.run(time_builds(url, rounds=args.rounds))
    finally:
        if args.fresh_db and url.startswith("postgresql"):
            drop_postgres(url, admin_url=args.database_url)
    worst = 0.0
    for name, times in figures.items():
        worst = max(worst, min(times))
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"build {name}: {shown} s (best {min(times):.2f} s; target < 1 s)")
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
