"""The POS's domain, pure functions with no I/O: the POS's view of an order and the
decisions staff take on it (validate, amend, reject a round; settle the bill, in full, in
part or by items), guests paying from the phone, staff accounts and pairing codes, devices,
and posting concierge orders to the PMS. `decide_*` turn a command into new events or refuse
it with a domain error.

Modules: `order` (the order as the POS knows it: `evolve`, `fold`), `rounds`, `till`,
`guest_payments` (decisions on an order), `staff`, `devices`, `folio` (a posting to the PMS:
its own `evolve`, `fold` and decisions). The names most callers need are re-exported here; the
states are built with each aggregate module's `fold` (`order.fold`, `folio.fold`).
"""

from convive.pos_gateway.domain.devices import Device, credential_digest, device_stream
from convive.pos_gateway.domain.guest_payments import (
    ONLINE_PAYMENT_MODES,
    PROVIDER_PAID,
    ChargeToRoom,
    GuestFacts,
    NotAGuest,
    ProviderOutcome,
    StartOnlinePayment,
    amount_due,
    decide_online_outcome,
    decide_room_charge,
    decide_start_online,
)
from convive.pos_gateway.domain.order import (
    OnlinePayment,
    PosOrder,
    Rejection,
    Round,
    Validation,
    line_total,
    order_stream,
)
from convive.pos_gateway.domain.rounds import (
    AmendLine,
    AmendRound,
    MenuItem,
    RejectRound,
    ValidateRound,
    decide_amend,
    decide_reject,
    decide_validate,
)
from convive.pos_gateway.domain.staff import staff_stream
from convive.pos_gateway.domain.till import (
    TILL_METHODS,
    SettlePayment,
    decide_settle,
    looks_like_card_number,
    split_equally,
)
from convive.runtime.domain import Invalid

__all__ = [
    "ONLINE_PAYMENT_MODES",
    "PROVIDER_PAID",
    "TILL_METHODS",
    "AmendLine",
    "AmendRound",
    "ChargeToRoom",
    "Device",
    "GuestFacts",
    "Invalid",
    "MenuItem",
    "NotAGuest",
    "OnlinePayment",
    "PosOrder",
    "ProviderOutcome",
    "RejectRound",
    "Rejection",
    "Round",
    "SettlePayment",
    "StartOnlinePayment",
    "ValidateRound",
    "Validation",
    "amount_due",
    "credential_digest",
    "decide_amend",
    "decide_online_outcome",
    "decide_reject",
    "decide_room_charge",
    "decide_settle",
    "decide_start_online",
    "decide_validate",
    "device_stream",
    "line_total",
    "looks_like_card_number",
    "order_stream",
    "split_equally",
    "staff_stream",
]
