"""Staff accounts and what each role may do, and the pairing codes staff issue to pair a POS
device. Pure rules: who may open or close an account, whether a staff member may act on a
venue, what a well-formed pairing code is. Passwords and code digests are the commands'
business (they never reach an event)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from convive.contracts.pos_gateway import StaffAccountClosed, StaffAccountOpened, StaffRole
from convive.runtime.domain import Conflict, DomainError, Forbidden, Unauthenticated

STAFF_HEADER = "X-Convive-Staff"

# Each role may do what the roles below it may: an owner everything, a manager the venue's
# settings, menu, offers and devices, a cashier the POS console.
_RANK = {StaffRole.CASHIER: 1, StaffRole.MANAGER: 2, StaffRole.OWNER: 3}


def staff_stream(staff_id: str) -> str:
    """The stream of a staff account's opening and closing."""
    return f"staff-{staff_id}"


class UnknownStaff(Unauthenticated):
    """No staff header, or one naming no open account."""


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    email: str
    name: str
    role: StaffRole
    venue_ids: tuple[str, ...]

    def require(self, role: StaffRole, venue_ids: Iterable[str] = ()) -> None:
        """Refuse unless this member has at least `role` at every one of `venue_ids`."""
        if _RANK[self.role] < _RANK[role]:
            raise Forbidden(
                f"this needs the {role.value} role (or above); {self.name} is {self.role.value}",
                field=STAFF_HEADER,
            )
        outside = sorted(set(venue_ids) - set(self.venue_ids))
        if outside:
            raise Forbidden(
                f"{self.name} is not staff of venue {', '.join(outside)}", field="venue_ids"
            )

    def profile(self) -> dict[str, object]:
        return {
            "staff_id": self.staff_id,
            "email": self.email,
            "name": self.name,
            "role": self.role.value,
            "venue_ids": list(self.venue_ids),
        }


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class OpenAccount:
    staff_id: str
    email: str
    name: str
    role: StaffRole
    venue_ids: tuple[str, ...]


def decide_open_account(
    opener: StaffMember | None, accounts_exist: bool, command: OpenAccount
) -> StaffAccountOpened:
    """Only an owner opens accounts, for venues that are all theirs; while no account exists
    at all, the first owner opens their own (the bootstrap of a fresh install)."""
    if not command.venue_ids:
        raise DomainError("an account needs at least one venue", field="venue_ids")
    if opener is None:
        if accounts_exist:
            raise UnknownStaff(
                f"opening an account needs the {STAFF_HEADER} header of an owner",
                field=STAFF_HEADER,
            )
        if command.role is not StaffRole.OWNER:
            raise Forbidden("the first account must be an owner's", field="role")
    else:
        opener.require(StaffRole.OWNER, command.venue_ids)
    return StaffAccountOpened(
        staff_id=command.staff_id,
        email=normalize_email(command.email),
        name=command.name,
        role=command.role,
        venue_ids=list(command.venue_ids),
        opened_by=opener.staff_id if opener is not None else None,
    )


def decide_close_account(closer: StaffMember, account: StaffMember) -> StaffAccountClosed:
    """An owner closes an account of their venues, never their own (a venue would be left
    without anyone to manage its staff)."""
    closer.require(StaffRole.OWNER, account.venue_ids)
    if closer.staff_id == account.staff_id:
        raise Conflict("you cannot close your own account", field="staff_id")
    return StaffAccountClosed(staff_id=account.staff_id, closed_by=closer.staff_id)


# --- pairing codes --------------------------------------------------------------------------

# Letters and digits that cannot be mistaken for one another when read aloud or typed from a
# screen: no 0/O, 1/I/L.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LENGTH = 8
PAIRING_CODE_TTL = timedelta(minutes=10)


def show_code(code: str) -> str:
    """XXXX-XXXX, as staff read it to whoever types it on the device."""
    half = PAIRING_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(typed: str) -> str | None:
    """The code as issued, from what was typed (any case, with or without the dash and
    spaces); None if it cannot be a code."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != PAIRING_CODE_LENGTH or any(c not in PAIRING_ALPHABET for c in code):
        return None
    return code
