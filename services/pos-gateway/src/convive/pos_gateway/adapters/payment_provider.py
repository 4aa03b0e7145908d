"""The payment provider adapter: what the POS needs of a hosted-checkout provider (create a
checkout and send the guest to its page; trust a webhook only when its signature and age are
right), and the implementation for the sandbox provider, over HTTP.

A real provider gets its own class with the same interface; nothing else in the service knows
which one it talks to."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

from convive.contracts import Money
from convive.runtime.domain import DomainError, ThirdPartyUnavailable, Unauthenticated


@dataclass(frozen=True)
class Checkout:
    """A checkout the provider opened: its id is the payment's id on our side too."""

    payment_id: str
    redirect_url: str


@dataclass(frozen=True)
class WebhookNotice:
    """What a verified webhook says: the provider's event, about which payment, for which of
    our references, with which outcome and amount."""

    event_id: str
    payment_id: str
    reference: str
    status: str  # "paid", "cancelled", …
    amount: Money


class InvalidSignature(Unauthenticated):
    """The webhook's signature is missing, wrong, or too old to be trusted."""


class ProviderUnavailable(ThirdPartyUnavailable):
    """The provider could not be reached or refused the request: nothing was started."""


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    async def create_checkout(
        self,
        *,
        amount: Money,
        reference: str,
        return_url: str,
        webhook_url: str,
        idempotency_key: str,
    ) -> Checkout: ...

    def verify_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> WebhookNotice | None:
        """The notice of a genuine webhook (None for an event the POS does not act on);
        raises `InvalidSignature` for anything not signed right, a `DomainError` for a
        signed body that does not parse."""
        ...

    async def aclose(self) -> None: ...


SANDBOX_SIGNATURE_HEADER = "Sandbox-Signature"


def _parse_signature(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidSignature("the signature's timestamp is not a number") from None
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature(
            f"the {SANDBOX_SIGNATURE_HEADER} header must read t=<unix time>,v1=<hex signature>"
        )
    return timestamp, signatures


class SandboxProvider:
    """The sandbox provider (the payment test double, or anything speaking its API)."""

    name = "sandbox"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_secret: str,
        tolerance: float = 300.0,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.webhook_secret = webhook_secret.encode()
        self.tolerance = tolerance
        self.client = client or httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def create_checkout(
        self,
        *,
        amount: Money,
        reference: str,
        return_url: str,
        webhook_url: str,
        idempotency_key: str,
    ) -> Checkout:
        body = {
            "amount": {"amount_minor": amount.amount_minor, "currency": amount.currency},
            "reference": reference,
            "return_url": return_url,
            "webhook_url": webhook_url,
        }
        try:
            response = await self.client.post(
                "/v1/checkouts", json=body, headers={"Idempotency-Key": idempotency_key}
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"the payment provider could not be reached ({exc.__class__.__name__}); "
                "try again in a moment"
            ) from exc
        if response.status_code not in (200, 201):
            raise ProviderUnavailable(
                f"the payment provider refused the payment (HTTP {response.status_code}): "
                f"{_provider_message(response)}"
            )
        created = response.json()
        return Checkout(payment_id=str(created["id"]), redirect_url=str(created["hosted_url"]))

    def verify_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> WebhookNotice | None:
        header = headers.get(SANDBOX_SIGNATURE_HEADER.lower()) or headers.get(
            SANDBOX_SIGNATURE_HEADER
        )
        if not header:
            raise InvalidSignature(f"the {SANDBOX_SIGNATURE_HEADER} header is missing")
        timestamp, signatures = _parse_signature(header)
        # The age check comes with the signature check: a captured webhook replayed later
        # is refused even though it was genuinely signed.
        if abs((time.time() if now is None else now) - timestamp) > self.tolerance:
            raise InvalidSignature("the webhook's signature is too old (or from the future)")
        expected = hmac.new(
            self.webhook_secret, f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, given) for given in signatures):
            raise InvalidSignature("the webhook's signature does not match")
        try:
            event = json.loads(body)
            kind = str(event["type"])
            data = event["data"]
            if not kind.startswith("checkout."):
                return None
            return WebhookNotice(
                event_id=str(event["id"]),
                payment_id=str(data["id"]),
                reference=str(data["reference"]),
                status=str(data["status"]),
                amount=Money(
                    amount_minor=int(data["amount"]["amount_minor"]),
                    currency=str(data["amount"]["currency"]),
                ),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DomainError(
                f"the webhook's body is not a checkout event: {exc.__class__.__name__}"
            ) from exc


def _provider_message(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
        return str(body.get("error", {}).get("message") or body)
    except ValueError:
        return response.text[:200]
