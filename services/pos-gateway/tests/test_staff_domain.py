"""Staff accounts and pairing codes, as pure rules: who may open and close accounts, what each
role may do at which venue, what a pairing code looks like."""

from __future__ import annotations

import pytest

from convive.contracts.pos_gateway import StaffAccountClosed, StaffAccountOpened, StaffRole
from convive.pos_gateway.domain.staff import (
    PAIRING_ALPHABET,
    Forbidden,
    OpenAccount,
    StaffMember,
    UnknownStaff,
    decide_close_account,
    decide_open_account,
    normalize_code,
    show_code,
)
from convive.runtime.domain import Conflict, DomainError

OWNER = StaffMember("s-owner", "o@venue.test", "Odile", StaffRole.OWNER, ("v1", "v2"))
MANAGER = StaffMember("s-manager", "m@venue.test", "Max", StaffRole.MANAGER, ("v1",))
CASHIER = StaffMember("s-cashier", "c@venue.test", "Cyril", StaffRole.CASHIER, ("v1",))


def opening(role: StaffRole = StaffRole.CASHIER, *venues: str) -> OpenAccount:
    return OpenAccount("s-new", "  Nina@Venue.TEST ", "Nina", role, venues or ("v1",))


def test_the_first_account_is_an_owner_opened_without_anyone_else() -> None:
    event = decide_open_account(None, False, opening(StaffRole.OWNER))
    assert event == StaffAccountOpened(
        staff_id="s-new",
        email="nina@venue.test",
        name="Nina",
        role=StaffRole.OWNER,
        venue_ids=["v1"],
        opened_by=None,
    )
    with pytest.raises(Forbidden) as not_owner:
        decide_open_account(None, False, opening(StaffRole.MANAGER))
    assert not_owner.value.field == "role"


def test_once_an_account_exists_only_an_owner_of_every_venue_opens_accounts() -> None:
    with pytest.raises(UnknownStaff):
        decide_open_account(None, True, opening(StaffRole.OWNER))
    assert decide_open_account(OWNER, True, opening(StaffRole.MANAGER, "v2")).opened_by == "s-owner"
    with pytest.raises(Forbidden, match="manager"):
        decide_open_account(MANAGER, True, opening())
    with pytest.raises(Forbidden, match="not staff of venue v3") as elsewhere:
        decide_open_account(OWNER, True, opening(StaffRole.CASHIER, "v1", "v3"))
    assert elsewhere.value.field == "venue_ids"
    with pytest.raises(DomainError) as no_venue:
        decide_open_account(OWNER, True, OpenAccount("s", "e@x.test", "E", StaffRole.OWNER, ()))
    assert no_venue.value.field == "venue_ids"


def test_an_owner_closes_accounts_of_their_venues_but_not_their_own() -> None:
    assert decide_close_account(OWNER, CASHIER) == StaffAccountClosed(
        staff_id="s-cashier", closed_by="s-owner"
    )
    with pytest.raises(Conflict, match="your own account"):
        decide_close_account(OWNER, OWNER)
    with pytest.raises(Forbidden):
        decide_close_account(MANAGER, CASHIER)
    other = StaffMember("s-x", "x@venue.test", "X", StaffRole.CASHIER, ("v1", "v9"))
    with pytest.raises(Forbidden, match="v9"):
        decide_close_account(OWNER, other)


@pytest.mark.parametrize(
    ("member", "role", "venues", "allowed"),
    [
        (OWNER, StaffRole.MANAGER, ["v2"], True),
        (MANAGER, StaffRole.MANAGER, ["v1"], True),
        (MANAGER, StaffRole.CASHIER, ["v1"], True),
        (MANAGER, StaffRole.MANAGER, ["v2"], False),
        (CASHIER, StaffRole.MANAGER, ["v1"], False),
        (CASHIER, StaffRole.OWNER, [], False),
    ],
)
def test_each_role_may_do_what_the_roles_below_it_may_at_its_own_venues(
    member: StaffMember, role: StaffRole, venues: list[str], allowed: bool
) -> None:
    if allowed:
        member.require(role, venues)
    else:
        with pytest.raises(Forbidden):
            member.require(role, venues)


def test_pairing_codes_are_read_back_in_any_case_with_or_without_the_dash() -> None:
    assert show_code("ABCD2345") == "ABCD-2345"
    for typed in ("ABCD-2345", "abcd2345", " abcd - 2345 "):
        assert normalize_code(typed) == "ABCD2345"
    for wrong in ("ABCD-234", "ABCD-23450", "ABCD-O123", "ABCD-1234", ""):
        assert normalize_code(wrong) is None
    assert not set("01ILO") & set(PAIRING_ALPHABET)
