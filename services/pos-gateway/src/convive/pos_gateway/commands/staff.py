"""Staff accounts: opening and closing them, logging in with a password (argon2id, with a
lock-out after repeated failures), and checking the account a POS action names. The password
hash lives only in `staff_accounts` (a table the commands own); the events say who has which
role at which venues."""

from __future__ import annotations

import asyncio
import functools
import secrets
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import StaffRole
from convive.pos_gateway.commands import throttle
from convive.pos_gateway.domain.staff import (
    OpenAccount,
    StaffMember,
    UnknownStaff,
    decide_close_account,
    decide_open_account,
    normalize_email,
    staff_stream,
)
from convive.pos_gateway.queries import staff as staff_queries
from convive.pos_gateway.tables import staff_accounts as accounts
from convive.runtime import db
from convive.runtime.domain import Conflict, DomainError, Forbidden, NotFound
from convive.runtime.eventstore import NO_STREAM, AppendResult, EventStore

WRONG_CREDENTIALS = "wrong e-mail or password"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so that the answer takes as long
    as for a wrong password and does not tell which e-mails have accounts."""
    return _hasher.hash(secrets.token_urlsafe(24))


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow and memory-hungry: off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


async def check_staff_id(engine: AsyncEngine, staff_id: str | None, venue_id: str) -> None:
    """A POS action names the logged-in staff account it was taken by: it must be an open
    account of the venue (a cashier at least)."""
    if staff_id is None:
        return
    async with engine.connect() as conn:
        member = await staff_queries.open_account(conn, staff_id)
    if member is None:
        raise DomainError(f"no open staff account {staff_id}", field="staff_id")
    try:
        member.require(StaffRole.CASHIER, [venue_id])
    except Forbidden as refused:
        raise Forbidden(refused.message, field="staff_id") from None


async def open_account(
    engine: AsyncEngine,
    store: EventStore,
    opener: StaffMember | None,
    *,
    email: str,
    name: str,
    role: StaffRole,
    venue_ids: Sequence[str],
    password: str,
) -> tuple[StaffMember, AppendResult]:
    """Open an account (see `decide_open_account` for who may); the e-mail must be free."""
    command = OpenAccount(
        staff_id=uuid.uuid4().hex,
        email=email,
        name=name,
        role=role,
        venue_ids=tuple(dict.fromkeys(venue_ids)),
    )
    password_hash = await hash_password(password)
    email = normalize_email(email)
    taken = Conflict(f"an account with e-mail {email} exists already", field="email")
    try:
        async with engine.begin() as conn:
            if opener is None:
                # Two first owners opened at once: only one finds no account.
                key = f"{db.schema_of(engine)}:staff-bootstrap"
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))
            exists = await conn.scalar(sa.select(sa.literal(True)).select_from(accounts).limit(1))
            event = decide_open_account(opener, bool(exists), command)
            if await conn.scalar(sa.select(accounts.c.staff_id).where(accounts.c.email == email)):
                raise taken
            stream = staff_stream(event.staff_id)
            envelope = EventEnvelope.wrap(event, subject=stream)
            result = await store.append(stream, [envelope], expected_version=NO_STREAM, conn=conn)
            await conn.execute(
                accounts.insert().values(
                    staff_id=event.staff_id,
                    email=event.email,
                    name=event.name,
                    role=event.role.value,
                    venue_ids=list(event.venue_ids),
                    password_hash=password_hash,
                    opened_by=event.opened_by,
                    opened_at=envelope.time,
                )
            )
    except IntegrityError as exc:
        if "email" in str(exc.orig):
            raise taken from None
        raise
    store.notify_committed(1)
    member = StaffMember(
        event.staff_id, event.email, event.name, event.role, tuple(event.venue_ids)
    )
    return member, result


async def login(engine: AsyncEngine, email: str, password: str) -> StaffMember:
    """The account whose e-mail and password these are. Five failures within 15 minutes
    lock the e-mail out for 15 minutes, on every replica alike."""
    email = normalize_email(email)
    key = f"login:{email}"
    attempt = await throttle.claim_attempt(engine, key, throttle.LOGIN, "logins for this e-mail")
    async with engine.connect() as conn:
        row = await staff_queries.open_account_by_email(conn, email)
    stored = row.password_hash if row is not None else _dummy_hash()
    if not await _verify(stored, password) or row is None:
        await throttle.attempt_failed(engine, key, attempt, throttle.LOGIN)
        raise UnknownStaff(WRONG_CREDENTIALS, field="password")
    await throttle.attempt_succeeded(engine, key)
    if _hasher.check_needs_rehash(row.password_hash):
        # The hashing parameters were raised since: keep the password as strong as new ones.
        rehashed = await hash_password(password)
        async with engine.begin() as conn:
            await conn.execute(
                accounts.update()
                .where(accounts.c.staff_id == row.staff_id)
                .values(password_hash=rehashed)
            )
    return staff_queries.member_of(row)


async def close_account(
    engine: AsyncEngine, store: EventStore, closer: StaffMember, staff_id: str
) -> AppendResult:
    """Close an account: it can no longer log in nor act, at once."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                sa.select(accounts).where(accounts.c.staff_id == staff_id).with_for_update()
            )
        ).first()
        if row is None:
            raise NotFound(f"no staff account {staff_id}", field="staff_id")
        account = staff_queries.member_of(row)
        event = decide_close_account(closer, account)
        if row.closed_at is not None:
            raise Conflict(f"the account of {account.name} is already closed", field="staff_id")
        stream = staff_stream(staff_id)
        version = await store.stream_version(stream, conn=conn)
        envelope = EventEnvelope.wrap(event, subject=stream)
        result = await store.append(stream, [envelope], expected_version=version, conn=conn)
        await conn.execute(
            accounts.update().where(accounts.c.staff_id == staff_id).values(closed_at=envelope.time)
        )
    store.notify_committed(1)
    return result
