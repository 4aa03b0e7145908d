"""Database engines bound to one service's PostgreSQL schema.

Tables are declared without a schema; the engine maps them onto the service's schema with
SQLAlchemy's `schema_translate_map`, so a test (or a second tenant) can use another schema.
"""

from __future__ import annotations

from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def metadata() -> MetaData:
    """Metadata for a service's tables, with predictable constraint names for migrations."""
    return MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def create_engine(url: str, schema: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine whose unqualified tables live in `schema`."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": f"convive-{schema}"}},
    )
    return engine.execution_options(schema_translate_map={None: schema})


def schema_of(engine: AsyncEngine) -> str:
    mapping = engine.get_execution_options().get("schema_translate_map") or {}
    schema = mapping.get(None)
    if not schema:
        raise ValueError("engine is not bound to a schema; use convive.runtime.db.create_engine")
    return str(schema)


def plain_dsn(url: str) -> str:
    """The libpq-style DSN for asyncpg, from an SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_schema(engine: AsyncEngine) -> None:
    schema = schema_of(engine)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
