"""Bulk inserts for seeding large histories: executemany on the raw SQLite connection, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy
import orjson
from sqlalchemy.engine import Connection

CHUNK = 50_000


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def stamps(moments: Any, *, sqlite: bool) -> list[str]:
    """UTC timestamps as the database stores them (SQLite compares text: 'YYYY-MM-DD HH:MM:SS.ffffff')."""
    text = numpy.datetime_as_string(moments, unit="us")
    return [t.replace("T", " ") for t in text.tolist()] if sqlite else [t + "+00:00" for t in text.tolist()]


def _value(value: Any, *, sqlite: bool) -> Any:
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(sep=" ") if sqlite else value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def bulk_insert(
    connection: Connection, table: str, rows: Iterator[Any], *, columns: Sequence[str] | None = None
) -> int:
    """Insert rows fast: executemany on the raw SQLite connection, COPY on PostgreSQL.

    Rows are dicts, or ready tuples (SQL values) in the order of `columns`.
    """
    raw: Any = connection.connection.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        raw.execute("PRAGMA cache_size=-262144")  # 256 MB: index pages stay in memory while loading
    total = 0
    for batch in _chunks(rows):
        if columns is None:
            names_of = list(batch[0])
            values = [tuple(_value(row[c], sqlite=sqlite) for c in names_of) for row in batch]
        else:
            names_of, values = list(columns), batch
        names = ", ".join(names_of)
        if sqlite:
            marks = ", ".join("?" for _ in names_of)
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        else:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        total += len(values)
    return total
