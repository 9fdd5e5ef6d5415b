"""Alembic environment: runs migrations on the synchronous driver for the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text
from sqlmodel import SQLModel

import storage.digests
import storage.host_samples
import storage.incidents
import storage.info_reviews
import storage.models
import storage.review_items
import storage.tickets  # noqa: F401  (registers the tables on the metadata)

MIGRATION_LOCK_KEY = 0x0B5B07  # any constant shared by all opsbot processes
config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together take turns; the later ones find the schema up to date.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()
    engine.dispose()


run_migrations()
