"""A payment provider's test double ("sandbox"), speaking HTTP like a real hosted-checkout
provider: a merchant creates a checkout with its API key, sends the guest to the hosted page,
and hears the outcome from a signed webhook; the guest's browser comes back to the merchant's
return URL. State is kept in memory. Run it with `python -m convive.doubles.payment_provider`.

API (JSON, `Authorization: Bearer <api_key>` on `/v1/*`):
- `POST /v1/checkouts` `{"amount":{"amount_minor","currency"},"reference","return_url",
  "webhook_url"?}` → 201 `{"id","hosted_url","status":"open",…}` (an `Idempotency-Key` header
  makes a retried creation answer the same checkout);
- `GET /v1/checkouts/{id}` → the checkout, its status (`open`, `paid`, `cancelled`) and its
  webhook deliveries;
- `POST /v1/checkouts/{id}/webhook/resend` → delivers the outcome's webhook again (same event
  id, fresh signature), as a provider's dashboard does.
The hosted page: `GET /pay/{id}` (HTML, "Payer / Pay" and "Annuler / Cancel" buttons), whose
form posts `action=pay|cancel` to `POST /pay/{id}`; that records the outcome, sends the webhook
and redirects (303) to `return_url?payment=<id>&status=paid|cancelled`.

Webhooks: `POST <webhook_url>` with the JSON event as body and the header
`Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body with the webhook
secret>`, so a receiver can check both the origin and the age (replay window). A delivery that
fails (transport error or non-2xx answer) is retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, FromPath, HeaderParameter, JSONBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_303_SEE_OTHER
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Sandbox-Signature"
DEFAULT_API_KEY = "sk_sandbox_convive"
DEFAULT_WEBHOOK_SECRET = "whsec_sandbox_convive"  # noqa: S105 (a test double's well-known default)
DEFAULT_PORT = 8190

# Currencies whose minor unit is not a hundredth (ISO 4217 exponent).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "TND": 3, "JOD": 3}


class SandboxSettings(BaseSettings):
    """Settings from the environment, prefix `CONVIVE_PAYMENT_SANDBOX_`."""

    model_config = SettingsConfigDict(env_prefix="CONVIVE_PAYMENT_SANDBOX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1)
    webhook_secret: str = Field(default=DEFAULT_WEBHOOK_SECRET, min_length=1)
    webhook_url: str | None = Field(
        default=None, description="where webhooks go when a checkout names no webhook_url"
    )
    public_url: str | None = Field(
        default=None, description="base of hosted_url; default: the URL the API was called on"
    )
    webhook_attempts: int = Field(default=5, ge=1, description="deliveries tried per webhook")
    webhook_backoff: float = Field(
        default=0.2, gt=0, description="seconds before the first retry; doubles each time"
    )
    webhook_backoff_max: float = Field(default=5.0, gt=0)
    webhook_timeout: float = Field(default=5.0, gt=0, description="seconds per delivery")
    webhook_wait: float = Field(
        default=5.0,
        ge=0,
        description="how long the hosted page waits for the webhook before redirecting",
    )
    log_level: str = "INFO"


# --- signatures -----------------------------------------------------------------------------


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>." + body`."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Sandbox-Signature` header value for this body, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(body, secret, t)}"


# --- state ----------------------------------------------------------------------------------


@dataclass
class Delivery:
    attempt: int
    at: float
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def view(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "at": int(self.at),
            "status_code": self.status_code,
            "error": self.error,
            "ok": self.ok,
        }


@dataclass
class Checkout:
    id: str
    amount_minor: int
    currency: str
    reference: str
    return_url: str
    webhook_url: str | None
    hosted_url: str
    created: int
    status: Literal["open", "paid", "cancelled"] = "open"
    completed: int | None = None
    event: dict[str, Any] | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def amount(self) -> dict[str, Any]:
        return {"amount_minor": self.amount_minor, "currency": self.currency}

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "checkout",
            "status": self.status,
            "amount": self.amount(),
            "reference": self.reference,
            "return_url": self.return_url,
            "webhook_url": self.webhook_url,
            "hosted_url": self.hosted_url,
            "created": self.created,
            "completed": self.completed,
            "webhook": {
                "event_id": self.event["id"] if self.event else None,
                "delivered": any(d.ok for d in self.deliveries),
                "deliveries": [d.view() for d in self.deliveries],
            },
        }


class WebhookRejected(Exception):
    """The receiver answered, but not with a 2xx."""


@dataclass
class Sandbox:
    """The double's memory and its outgoing HTTP client."""

    settings: SandboxSettings
    client: httpx.AsyncClient
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def complete(self, checkout: Checkout, status: Literal["paid", "cancelled"]) -> None:
        checkout.status = status
        checkout.completed = int(time.time())
        checkout.event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "type": f"checkout.{status}",
            "created": checkout.completed,
            "data": {
                "id": checkout.id,
                "status": status,
                "amount": checkout.amount(),
                "reference": checkout.reference,
            },
        }

    def send_webhook(self, checkout: Checkout) -> asyncio.Task[None]:
        """Deliver the checkout's outcome in the background (retried on failure)."""
        task = asyncio.create_task(self.deliver(checkout))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def deliver(self, checkout: Checkout) -> None:
        url = checkout.webhook_url or self.settings.webhook_url
        if checkout.event is None or not url:
            return
        body = json.dumps(checkout.event, separators=(",", ":")).encode()
        settings = self.settings
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.webhook_attempts),
            wait=wait_exponential(
                multiplier=settings.webhook_backoff,
                min=settings.webhook_backoff,
                max=settings.webhook_backoff_max,
            ),
            retry=retry_if_exception_type((WebhookRejected, httpx.HTTPError)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._post_once(checkout, url, body, attempt.retry_state.attempt_number)
        except (WebhookRejected, httpx.HTTPError) as exc:
            log.warning(
                "webhook of %s not delivered after %d attempts: %s",
                checkout.id,
                settings.webhook_attempts,
                exc,
            )

    async def _post_once(self, checkout: Checkout, url: str, body: bytes, attempt: int) -> None:
        # Signed at each attempt, as a real provider does: the timestamp says when it was sent.
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(body, self.settings.webhook_secret),
            "User-Agent": "convive-payment-sandbox",
        }
        at = time.time()
        try:
            response = await self.client.post(
                url, content=body, headers=headers, timeout=self.settings.webhook_timeout
            )
        except httpx.HTTPError as exc:
            checkout.deliveries.append(Delivery(attempt, at, None, exc.__class__.__name__))
            raise
        checkout.deliveries.append(Delivery(attempt, at, response.status_code))
        if not 200 <= response.status_code < 300:
            raise WebhookRejected(f"{url} answered {response.status_code}")


# --- API ------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AmountIn(_Body):
    amount_minor: int = Field(ge=1, description="in minor units, e.g. cents")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class CheckoutIn(_Body):
    amount: AmountIn
    reference: str = Field(min_length=1, max_length=200, description="the merchant's reference")
    return_url: str = Field(pattern=r"^https?://", max_length=2000)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2000)


class ProviderError(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param


def _on_provider_error(_: Request[Any, Any, Any], exc: ProviderError) -> Response[Any]:
    error: dict[str, Any] = {"type": exc.kind, "message": exc.message}
    if exc.param:
        error["param"] = exc.param
    headers = {"WWW-Authenticate": 'Bearer realm="sandbox"'} if exc.status == 401 else None
    return Response({"error": error}, status_code=exc.status, headers=headers)


def _sandbox(state: State) -> Sandbox:
    sandbox: Sandbox = state.sandbox
    return sandbox


def require_api_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: it runs before the body is read, so a caller without the key learns nothing."""
    scheme, _separator, key = connection.headers.get("authorization", "").partition(" ")
    expected = _sandbox(connection.app.state).settings.api_key
    if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip(), expected):
        raise ProviderError(401, "authentication_error", "invalid or missing API key")


def _checkout(sandbox: Sandbox, checkout_id: str) -> Checkout:
    checkout = sandbox.checkouts.get(checkout_id)
    if checkout is None:
        raise ProviderError(404, "not_found", f"no checkout {checkout_id}", "id")
    return checkout


@post("/v1/checkouts", status_code=HTTP_201_CREATED, guards=[require_api_key])
async def create_checkout(
    request: Request[Any, Any, Any],
    data: JSONBody[CheckoutIn],
    state: State,
    idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
) -> Response[dict[str, Any]]:
    sandbox = _sandbox(state)
    if idempotency_key and idempotency_key in sandbox.idempotency:
        known = sandbox.checkouts[sandbox.idempotency[idempotency_key]]
        return Response(known.view(), status_code=200)
    checkout_id = f"cs_{secrets.token_hex(12)}"
    base = (sandbox.settings.public_url or str(request.base_url)).rstrip("/")
    checkout = Checkout(
        id=checkout_id,
        amount_minor=data.amount.amount_minor,
        currency=data.amount.currency,
        reference=data.reference,
        return_url=data.return_url,
        webhook_url=data.webhook_url,
        hosted_url=f"{base}/pay/{checkout_id}",
        created=int(time.time()),
    )
    sandbox.checkouts[checkout_id] = checkout
    if idempotency_key:
        sandbox.idempotency[idempotency_key] = checkout_id
    return Response(checkout.view(), status_code=HTTP_201_CREATED)


@get("/v1/checkouts/{checkout_id:str}", guards=[require_api_key])
async def show_checkout(checkout_id: FromPath[str], state: State) -> dict[str, Any]:
    sandbox = _sandbox(state)
    return _checkout(sandbox, checkout_id).view()


@post("/v1/checkouts/{checkout_id:str}/webhook/resend", status_code=200, guards=[require_api_key])
async def resend_webhook(checkout_id: FromPath[str], state: State) -> dict[str, Any]:
    sandbox = _sandbox(state)
    checkout = _checkout(sandbox, checkout_id)
    if checkout.event is None:
        raise ProviderError(409, "invalid_request", f"checkout {checkout_id} is still open")
    await sandbox.deliver(checkout)
    return checkout.view()


# --- the hosted page ------------------------------------------------------------------------


def _format_amount(amount_minor: int, currency: str) -> tuple[str, str]:
    """The amount as French and English readers write it."""
    exponent = _EXPONENTS.get(currency, 2)
    units, minor = divmod(amount_minor, 10**exponent)
    english = f"{units:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    french = english.replace(",", "\u202f").replace(".", ",")
    return f"{french}\u00a0{currency}", f"{currency}\u00a0{english}"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1a1a1a}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem}
h1{font-size:1.4rem;margin-top:0}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0 1.5rem}
.actions{display:flex;flex-direction:column;gap:.75rem}
button{font:inherit;font-size:1.1rem;padding:.8rem;border-radius:.4rem;cursor:pointer}
.pay{background:#0b5d1e;color:#fff;border:2px solid #0b5d1e}
.cancel{background:#fff;color:#1a1a1a;border:2px solid #1a1a1a}
button:focus-visible{outline:3px solid #1d4ed8;outline-offset:3px}
.note{color:#444;font-size:.9rem}
"""


def _page(title: str, body: str, status_code: int = 200) -> Response[str]:
    document = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return Response(document, status_code=status_code, media_type="text/html")


@get("/pay/{checkout_id:str}")
async def hosted_page(checkout_id: FromPath[str], state: State) -> Response[str]:
    checkout = _sandbox(state).checkouts.get(checkout_id)
    if checkout is None:
        return _page(
            "Paiement introuvable / Payment not found",
            "<h1>Paiement introuvable / Payment not found</h1>",
            404,
        )
    french, english = _format_amount(checkout.amount_minor, checkout.currency)
    amount = f'<span lang="fr">{french}</span> / <span lang="en">{english}</span>'
    reference = html.escape(checkout.reference)
    if checkout.status != "open":
        done = {"paid": "Payé / Paid", "cancelled": "Annulé / Cancelled"}[checkout.status]
        link = html.escape(_return_url(checkout), quote=True)
        return _page(
            done,
            f"<h1>{done}</h1><p class='amount'>{amount}</p>"
            f"<p><a href='{link}'>Retour / Back</a></p>",
        )
    action = html.escape(f"/pay/{checkout_id}", quote=True)
    body = (
        "<h1>Paiement sécurisé / <span lang='en'>Secure payment</span></h1>"
        f"<p class='note'>Référence / <span lang='en'>Reference</span>: {reference}</p>"
        f"<p class='amount' id='amount'>{amount}</p>"
        f"<form method='post' action='{action}' aria-describedby='amount'>"
        "<div class='actions'>"
        "<button class='pay' type='submit' name='action' value='pay'>Payer / Pay</button>"
        "<button class='cancel' type='submit' name='action' value='cancel'>"
        "Annuler / Cancel</button>"
        "</div></form>"
        "<p class='note'>Environnement de test : aucune carte n'est débitée. / "
        "<span lang='en'>Test environment: no card is charged.</span></p>"
    )
    return _page("Paiement / Payment", body)


class PayForm(BaseModel):
    action: str = ""


def _return_url(checkout: Checkout) -> str:
    parts = urlsplit(checkout.return_url)
    query = [
        *((k, v) for k, v in parse_qsl(parts.query) if k not in ("payment", "status")),
        ("payment", checkout.id),
        ("status", checkout.status),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


@post("/pay/{checkout_id:str}", status_code=HTTP_303_SEE_OTHER)
async def submit_page(
    checkout_id: FromPath[str],
    state: State,
    data: Annotated[PayForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    sandbox = _sandbox(state)
    checkout = sandbox.checkouts.get(checkout_id)
    if checkout is None:
        return _page(
            "Paiement introuvable / Payment not found",
            "<h1>Paiement introuvable / Payment not found</h1>",
            404,
        )
    if data.action not in ("pay", "cancel"):
        return _page(
            "Requête invalide / Bad request",
            "<h1>Choisissez Payer ou Annuler / Choose Pay or Cancel</h1>",
            400,
        )
    if checkout.status == "open":
        sandbox.complete(checkout, "paid" if data.action == "pay" else "cancelled")
        delivery = sandbox.send_webhook(checkout)
        # The browser comes back once the merchant heard the outcome, as long as that is
        # quick; retries go on in the background.
        await asyncio.wait({delivery}, timeout=sandbox.settings.webhook_wait)
    return Redirect(_return_url(checkout), status_code=HTTP_303_SEE_OTHER)


# The same health paths as Convive's services, so the platform waits for it like for them.
@get(["/health", "/health/live", "/health/ready"], sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: SandboxSettings | None = None) -> Litestar:
    """The double's ASGI app."""
    settings = settings or SandboxSettings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            sandbox = Sandbox(settings, client)
            app.state.sandbox = sandbox
            try:
                yield
            finally:
                for task in list(sandbox.tasks):
                    task.cancel()
                await asyncio.gather(*sandbox.tasks, return_exceptions=True)

    return Litestar(
        route_handlers=[
            create_checkout,
            show_checkout,
            resend_webhook,
            hosted_page,
            submit_page,
            health,
        ],
        lifespan=[lifespan],
        exception_handlers={ProviderError: _on_provider_error},
    )


def main() -> None:
    settings = SandboxSettings()
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
