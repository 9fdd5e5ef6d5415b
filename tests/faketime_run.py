"""Run the suite at calendar edges under libfaketime: every tier that starts no Go binary, once per instant.

    python tests/faketime_run.py [--at LABEL ...] [pytest arguments, e.g. -n 2 tests/e2e]

The instants (UTC) are the ones issue #13 names: a Monday 00:10 (the next one), the Monday after the EU
spring DST change, inside the autumn DST fold, just after New Year, and a leap day. Each run starts its
wall clock at the instant and lets it run; every process of the run (pytest, `opsbot serve` children)
shares one offset, so their clocks agree. The monotonic clock stays real (asyncio runs on it); see
tests/faketime/sitecustomize.py for the one libfaketime bug that needs a workaround.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "tests" / "faketime"
LIBRARY_GLOB = "/usr/lib/*/faketime/libfaketime.so.1"
# The Prometheus tiers run Go binaries, which libfaketime cannot reach; load tests measure throughput and
# order, not the calendar; own-clock tests run opsbot on a clock they set, which the faked wall clock never
# reaches; the browser tier drives the sandbox page in Chromium (the page's digest buttons are also covered
# by the e2e tier, which runs here); calendar-free tests check refusals, limits, rendering, the sandbox
# itself, and failure handling timed in seconds on UTC instants (Slack faults and slowness, leases, database
# outages, the outbox's retries, paging): code that reads no date, weekday or zone. Five more runs of them
# would cost CI minutes and test no calendar.
MARKERS = "not prometheus and not load and not own_clock and not browser and not calendar_free"


@dataclass(frozen=True)
class Instant:
    label: str
    at: datetime


def next_monday_ten_past_midnight(now: datetime) -> datetime:
    """The first Monday 00:10 UTC after `now`."""
    monday = (now + timedelta(days=(7 - now.weekday()) % 7)).replace(
        hour=0, minute=10, second=0, microsecond=0
    )
    return monday if monday > now else monday + timedelta(days=7)


def instants(now: datetime) -> list[Instant]:
    """The five instants of issue #13, the Monday one computed from `now`."""
    return [
        Instant("monday-00:10", next_monday_ten_past_midnight(now)),
        Instant("after-spring-dst", datetime(2027, 3, 29, 0, 10, tzinfo=UTC)),
        Instant("autumn-dst-fold", datetime(2027, 10, 31, 1, 30, tzinfo=UTC)),
        Instant("new-year", datetime(2027, 1, 1, 0, 30, tzinfo=UTC)),
        Instant("leap-day", datetime(2028, 2, 29, 12, 0, tzinfo=UTC)),
    ]


def library() -> str:
    """The libfaketime preload library (Debian package libfaketime, pulled in by faketime)."""
    found = sorted(glob.glob(LIBRARY_GLOB))
    if not found:
        raise SystemExit(f"libfaketime not found ({LIBRARY_GLOB}): run tests/prerequisites.py as root")
    return found[0]


def faked_environ(at: datetime) -> dict[str, str]:
    """The environment of a run whose wall clock starts at `at` (an offset, so child processes agree)."""
    offset = round((at - datetime.now(UTC)).total_seconds())
    python_path = os.pathsep.join(p for p in (str(SHIM), os.environ.get("PYTHONPATH", "")) if p)
    preload = " ".join(p for p in (library(), os.environ.get("LD_PRELOAD", "")) if p)
    return {
        **os.environ,
        "LD_PRELOAD": preload,
        "FAKETIME": f"{offset:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # libfaketime's "monotonic fix" rewrites the deadline of every pthread_cond_timedwait, including the
        # GIL's 5 ms wait on a CLOCK_MONOTONIC condition variable: it returns at once, so a thread wanting the
        # GIL forces a switch over and over (a million futex calls a second; the suite took 2.5 times the
        # CPU). The real monotonic clock needs no fix; lock and queue time-outs still hold without it.
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
        "PYTHONPATH": python_path,
    }


def check_clock(environ: dict[str, str], at: datetime) -> None:
    """Fail unless a child process really sees the faked time (else the run would prove nothing)."""
    probe = "import datetime; print(datetime.datetime.now(datetime.UTC).isoformat())"
    seen = datetime.fromisoformat(
        subprocess.run(
            [sys.executable, "-c", probe], env=environ, check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    if abs(seen - at) > timedelta(minutes=1):
        raise SystemExit(f"libfaketime is not in effect: wanted {at:%Y-%m-%d %H:%M} UTC, saw {seen}")


def run_at(instant: Instant, pytest_args: list[str]) -> tuple[int, float]:
    """Run pytest with the wall clock at the instant; return its exit code and seconds taken."""
    environ = faked_environ(instant.at)
    check_clock(environ, instant.at)
    print(
        f"\n=== {instant.label}: {instant.at:%Y-%m-%d %H:%M} UTC (FAKETIME={environ['FAKETIME']})", flush=True
    )
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "-m", MARKERS, *pytest_args]
    code = subprocess.run(command, cwd=ROOT, env=environ, check=False).returncode
    return code, time.monotonic() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--at", action="append", default=[], help="run only these instants (labels)")
    options, pytest_args = parser.parse_known_args(argv)
    chosen = [i for i in instants(datetime.now(UTC)) if not options.at or i.label in options.at]
    if not chosen:
        parser.error(f"unknown --at; choose from {', '.join(i.label for i in instants(datetime.now(UTC)))}")
    results = [(instant, *run_at(instant, pytest_args)) for instant in chosen]
    print("\n=== faketime runs")
    for instant, code, seconds in results:
        verdict = "ok" if code == 0 else f"FAILED (pytest exit {code})"
        print(f"{instant.label:18} {instant.at:%Y-%m-%d %H:%M} UTC  {seconds:7.1f} s  {verdict}")
    failed = [instant.label for instant, code, _ in results if code != 0]
    if failed:
        print(f"failed at: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
