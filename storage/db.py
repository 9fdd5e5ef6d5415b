"""The database handle: an async engine on SQLite (default) or PostgreSQL, plus its sessions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000


def async_url(url: str) -> str:
    """Map a user-facing database URL to the async driver opsbot uses for it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://"
    )


def sync_url(url: str) -> str:
    """Map a user-facing database URL to the synchronous driver Alembic runs with."""
    parsed = make_url(async_url(url))
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _dump_json(value: Any) -> str:
    """JSON columns hold labels and payloads on the hot ingest path: orjson is several times faster."""
    return orjson.dumps(value).decode()


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and the writer work at once; the busy timeout waits instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass(frozen=True)
class Database:
    """One engine and its session factory, shared by the whole process."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # SQLite has one writer: queueing writes here beats its busy handler, which sleeps in growing steps.
    write_lock: asyncio.Lock | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yield a session inside one transaction: committed on success, rolled back on error."""
        async with contextlib.AsyncExitStack() as stack:
            if self.write_lock is not None:
                await stack.enter_async_context(self.write_lock)
            session = await stack.enter_async_context(self.sessions())
            await stack.enter_async_context(session.begin())
            yield session

    async def ping(self, *, within: float = 2.0) -> None:
        """Raise if the database does not answer a trivial query in time."""
        async with asyncio.timeout(within), self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(url: str, *, pool_size: int = 10) -> Database:
    """Create the engine for `url`; nothing connects until first use."""
    engine_url = async_url(url)
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "json_serializer": _dump_json,
        "json_deserializer": orjson.loads,
    }
    if make_url(engine_url).get_backend_name() == "postgresql":
        options.update(pool_size=pool_size, max_overflow=pool_size, pool_timeout=5)
        options["connect_args"] = {"connect_timeout": 3}
    else:
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_async_engine(engine_url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
    return Database(url=url, engine=engine, sessions=sessions, write_lock=lock)


def is_write_conflict(error: DBAPIError) -> bool:
    """A unique-key race or deadlock between concurrent writers: retrying the transaction resolves it."""
    if isinstance(error, IntegrityError):
        return True
    code = getattr(error.orig, "sqlstate", None)
    return code in {"40P01", "40001"}  # deadlock detected, serialization failure


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached (down, restarting, network cut), as opposed to a bad query."""
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated) or (
            isinstance(error, OperationalError) and not is_write_conflict(error)
        )
    return isinstance(error, (ConnectionError, TimeoutError, OSError))
