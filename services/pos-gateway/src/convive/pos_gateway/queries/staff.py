"""Reading staff accounts: an open account by id or by e-mail, and the accounts an owner sees."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts.pos_gateway import StaffRole
from convive.pos_gateway.domain.staff import StaffMember
from convive.pos_gateway.tables import staff_accounts


def member_of(row: sa.Row[Any]) -> StaffMember:
    return StaffMember(
        staff_id=row.staff_id,
        email=row.email,
        name=row.name,
        role=StaffRole(row.role),
        venue_ids=tuple(row.venue_ids),
    )


async def open_account(conn: AsyncConnection, staff_id: str) -> StaffMember | None:
    """The account, unless it does not exist or was closed."""
    row = (
        await conn.execute(
            sa.select(staff_accounts).where(
                staff_accounts.c.staff_id == staff_id, staff_accounts.c.closed_at.is_(None)
            )
        )
    ).first()
    return member_of(row) if row is not None else None


async def open_account_by_email(conn: AsyncConnection, email: str) -> sa.Row[Any] | None:
    """The open account of a (normalised) e-mail, password hash included."""
    row: sa.Row[Any] | None = (
        await conn.execute(
            sa.select(staff_accounts).where(
                staff_accounts.c.email == email, staff_accounts.c.closed_at.is_(None)
            )
        )
    ).first()
    return row


async def list_accounts(engine: AsyncEngine, owner: StaffMember) -> list[StaffMember]:
    """The open accounts sharing a venue with the owner, by name."""
    owner.require(StaffRole.OWNER)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(staff_accounts)
                .where(
                    staff_accounts.c.closed_at.is_(None),
                    staff_accounts.c.venue_ids.overlap(list(owner.venue_ids)),
                )
                .order_by(staff_accounts.c.name, staff_accounts.c.email)
            )
        ).all()
    return [member_of(row) for row in rows]
