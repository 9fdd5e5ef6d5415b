"""Throw-away PostgreSQL databases for tests: one migrated template, a copy per test."""

from __future__ import annotations

import secrets

import psycopg

from storage.migrate import upgrade
from tests.support.services import POSTGRES_ADMIN_URL, POSTGRES_HOST, POSTGRES_PORT


def url_for(name: str) -> str:
    return f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def admin_query(sql: str) -> int:
    """Run one query as the admin; return the first column of its first row."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def create_template() -> str:
    """Create and migrate a template database; return its name."""
    name = f"opsbot_tpl_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    upgrade(url_for(name))
    return name


def create_empty() -> str:
    """Create an empty (unmigrated) database; return its name."""
    name = f"opsbot_e_{secrets.token_hex(5)}"
    _admin(f'CREATE DATABASE "{name}"')
    return name


def create_copy(template: str) -> str:
    """Create a fresh database from the migrated template (a file copy, fast); return its name."""
    name = f"opsbot_t_{secrets.token_hex(5)}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
