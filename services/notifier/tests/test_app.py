"""The notifier service boots against real Kafka and PostgreSQL and reports itself ready; its
migrations make the tables its code declares."""

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.notifier import tables
from convive.notifier.app import MIGRATIONS, create_app
from convive.notifier.settings import Settings
from convive.runtime import db, migrations
from convive.runtime.eventstore import runtime_metadata
from convive.runtime.testkit import check_service_boots

pytestmark = pytest.mark.infra


async def test_the_service_boots_and_is_ready(service_settings: dict[str, str]) -> None:
    await check_service_boots(create_app(Settings(**service_settings)))  # type: ignore[arg-type]


async def test_the_migrations_make_exactly_the_tables_of_tables_py(reader: AsyncEngine) -> None:
    await migrations.upgrade(reader, MIGRATIONS)
    runtime_tables = set(runtime_metadata.tables) | {migrations.VERSION_TABLE}

    def differences(connection: Connection) -> list[Any]:
        connection.exec_driver_sql(f'SET search_path TO "{db.schema_of(reader)}"')
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        found = compare_metadata(context, tables.metadata)
        return [d for d in found if not _about(d, runtime_tables)]

    async with reader.connect() as conn:
        assert await conn.run_sync(differences) == []


def _about(difference: Any, table_names: set[str]) -> bool:
    """Whether an autogenerate difference concerns one of these tables."""
    for part in difference if isinstance(difference, list) else [difference]:
        for item in part[1:]:
            name = getattr(item, "name", None) if not isinstance(item, str) else None
            table = getattr(item, "table", None)
            if name in table_names or getattr(table, "name", None) in table_names:
                return True
    return False
