"""Make sure the real services the tests use are here; install what is missing (Debian packages).

Under CI=true anything still missing afterwards is an error, so no test is skipped silently.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys

PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "chromium": "chromium",
    "faketime": "faketime",  # libfaketime for tests/faketime_run.py (the suite at calendar edges)
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def start_postgres() -> None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions and shutil.which("pg_ctlcluster"):
        print(f"starting PostgreSQL {versions[-1]} …", flush=True)
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False
        )


def install(packages: set[str]) -> None:
    if not packages or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    print(f"installing {' '.join(sorted(packages))} (Debian packages) …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lists = glob.glob("/var/lib/apt/lists/*Packages*")
    if not lists:
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdout=subprocess.DEVNULL)
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *sorted(packages)]
    if subprocess.run(command, check=False, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(command, check=False, env=env, stdout=subprocess.DEVNULL)


def main() -> int:
    if not postgres_up():
        start_postgres()
    install({package for binary, package in PACKAGES.items() if not shutil.which(binary)})
    missing = [f"binary {binary}" for binary in PACKAGES if not shutil.which(binary)]
    if not postgres_up():
        missing.append("PostgreSQL at 127.0.0.1:5432")
    if not missing:
        print("prerequisites: PostgreSQL, prometheus, alertmanager, chromium, faketime", flush=True)
        return 0
    if in_ci():
        print("prerequisites MISSING under CI=true: " + ", ".join(missing), file=sys.stderr)
        return 1
    print("prerequisites missing (their tests will be skipped): " + ", ".join(missing), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
