"""The PMS adapter: what the POS needs of a hotel's property-management system (post a charge
to the folio of a room's guest, once per idempotency key), and the implementation for a PMS
speaking the PMS sandbox's HTTP API (`convive.doubles.pms` plays it in tests and `convive run`).

A real PMS gets its own class with the same interface; nothing else in the service knows which
one it talks to. The adapter never raises for the PMS's answer: it says what the answer means
(`Charged`, or `Refused` and whether trying again may help), and the domain decides the rest.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import httpx

from convive.pos_gateway.domain.folio import Charged, FolioCharge, PmsAnswer, Refused

API_KEY_HEADER = "X-Api-Key"

# Answers after which the same request may well succeed later.
_RETRYABLE = frozenset({408, 409, 423, 425, 429})


@runtime_checkable
class Pms(Protocol):
    name: str

    async def post_charge(self, charge: FolioCharge, *, idempotency_key: str) -> PmsAnswer: ...

    async def aclose(self) -> None: ...


class SandboxPms:
    """A PMS speaking the sandbox's API: `POST /api/v1/folio-charges` with `X-Api-Key` and
    `Idempotency-Key`, answering 201 `{"charge_id", …}`."""

    name = "sandbox"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.client = client or httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={API_KEY_HEADER: api_key},
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post_charge(self, charge: FolioCharge, *, idempotency_key: str) -> PmsAnswer:
        body = {
            "room": charge.room,
            "guest_name": charge.guest_name,
            "amount": {
                "amount_minor": charge.amount.amount_minor,
                "currency": charge.amount.currency,
            },
            "description": charge.description,
            "reference": charge.reference,
        }
        try:
            response = await self.client.post(
                "/api/v1/folio-charges", json=body, headers={"Idempotency-Key": idempotency_key}
            )
        except httpx.HTTPError as exc:
            # A timeout may hide a charge the PMS did take: the next try, with the same
            # idempotency key, gets that charge back instead of posting a second one.
            return Refused(f"the PMS could not be reached ({exc.__class__.__name__})")
        status = response.status_code
        if status in (200, 201):
            try:
                return Charged(str(response.json()["charge_id"]))
            except (ValueError, KeyError, TypeError):
                return Refused(f"the PMS answered {status} without a charge id")
        retryable = status >= 500 or status in _RETRYABLE
        return Refused(f"the PMS answered {status}: {_message(response)}", retryable=retryable)


def _message(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:500]
        return str(body)[:500]
    except ValueError:
        return response.text[:500] or response.reason_phrase
