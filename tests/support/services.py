"""Which real services the tests need, and how a missing one is treated (skip locally, fail under CI)."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_HOST = os.environ.get("OPSBOT_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("OPSBOT_TEST_PG_PORT", "5432"))
POSTGRES_ADMIN_URL = f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: bool, what: str) -> None:
    """Skip a test whose service is missing, except under CI=true where a missing part is a failure."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required under CI=true but is missing", pytrace=False)
    pytest.skip(f"{what} is not available")


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((POSTGRES_HOST, POSTGRES_PORT), timeout=1):
            return True
    except OSError:
        return False


def binary(name: str) -> str | None:
    return shutil.which(name)
