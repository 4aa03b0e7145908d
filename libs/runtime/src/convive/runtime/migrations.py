"""Alembic migrations, run per service schema.

A service's `migrations/env.py` is two lines (`run_env(metadata)`); its first revision calls
`create_runtime_tables()` for the event store, outbox and consumer bookkeeping. Migrations run
at startup (`migrate_on_start`) or with `alembic -x schema=… upgrade head`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime import db
from convive.runtime.eventstore import runtime_metadata

VERSION_TABLE = "alembic_version"


def _config(script_location: Path, schema: str, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["schema"] = schema
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, script_location: Path) -> None:
    """Create the engine's schema if needed and apply every migration up to head."""
    await db.ensure_schema(engine)
    schema = db.schema_of(engine)

    def run(connection: Connection) -> None:
        command.upgrade(_config(script_location, schema, connection), "head")

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def is_at_head(engine: AsyncEngine, script_location: Path) -> bool:
    schema = db.schema_of(engine)
    heads = set(ScriptDirectory.from_config(_config(script_location, schema)).get_heads())

    def current(connection: Connection) -> set[str]:
        ctx = MigrationContext.configure(
            connection, opts={"version_table_schema": schema, "version_table": VERSION_TABLE}
        )
        return set(ctx.get_current_heads())

    async with engine.connect() as conn:
        return await conn.run_sync(current) == heads


def current_schema() -> str:
    """The schema a revision is running in (a revision that names a table outside SQLAlchemy's
    table objects, in raw SQL, needs it: the schema translation does not reach there)."""
    schema = op.get_context().version_table_schema
    if not schema:
        raise RuntimeError("migrations run with a version table schema (see run_env)")
    return str(schema)


def create_runtime_tables() -> None:
    """For a service's first revision: the event store, outbox and consumer bookkeeping."""
    runtime_metadata.create_all(op.get_bind())


def drop_runtime_tables() -> None:
    runtime_metadata.drop_all(op.get_bind())


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's Alembic env.py."""
    cfg = context.config
    connection: Connection | None = cfg.attributes.get("connection")
    schema = cfg.attributes.get("schema") or context.get_x_argument(as_dictionary=True).get(
        "schema"
    )
    if not schema:
        raise SystemExit("name the schema: alembic -x schema=<service schema> upgrade head")

    def configure_and_run(conn: Connection) -> None:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            version_table_schema=schema,
            version_table=VERSION_TABLE,
        )
        with context.begin_transaction():
            context.run_migrations()

    if connection is not None:
        configure_and_run(connection)
        return

    from convive.runtime.settings import ServiceSettings

    url = ServiceSettings().database_url

    async def offline_cli() -> None:
        engine = db.create_engine(url, schema)
        await db.ensure_schema(engine)
        async with engine.begin() as conn:
            await conn.run_sync(configure_and_run)
        await engine.dispose()

    asyncio.run(offline_cli())
