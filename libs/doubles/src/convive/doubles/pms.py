"""A hotel property-management system's (PMS) test double ("PMS sandbox"), speaking HTTP like a
real PMS's charge-posting API: a partner posts a charge to the folio of the guest staying in a
room, with its API key and an idempotency key, and gets the PMS's charge id back. State is kept
in memory. Run it with `python -m convive.doubles.pms [--host H] [--port P]`.

API (JSON, `X-Api-Key: <api_key>` on `/api/*`):
- `POST /api/v1/folio-charges` `{"room","guest_name","amount":{"amount_minor","currency"},
  "description","reference"?}` with an `Idempotency-Key` header (required) → 201
  `{"charge_id","room","guest_name","amount","description","reference","posted_at"}`; the same
  key again answers the same charge (201, header `Idempotent-Replayed: true`) and posts
  nothing; the same key with another body → 422 `idempotency_key_reused`.
- `GET /api/v1/folio-charges/{charge_id}`, `GET /api/v1/folio-charges?room=` → what was posted.
Errors: `{"error": {"type", "message", "param"?}}` (401 without the right key).

The control API is the tests' (no key; a real PMS has none): `PUT /_control/failure`
`{"status": 503, "times": N|null, "message"?}` makes the next N charge calls (null: every one
until told otherwise) answer that status without posting; `DELETE /_control/failure` stops it;
`GET /_control/charges` → `{"charges": [...], "requests": [...]}` (every charge call, replays and
refusals included); `POST /_control/reset` forgets everything. In-process, the same is at hand
on `app.state.pms` (a `PmsSandbox`).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from litestar import Litestar, Request, Response, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-Api-Key"
DEFAULT_API_KEY = "pms_sandbox_convive"
DEFAULT_PORT = 8191


class PmsSettings(BaseSettings):
    """Settings from the environment, prefix `CONVIVE_PMS_SANDBOX_`."""

    model_config = SettingsConfigDict(env_prefix="CONVIVE_PMS_SANDBOX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1)
    log_level: str = "INFO"


# --- state ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    charge_id: str
    room: str
    guest_name: str
    amount_minor: int
    currency: str
    description: str
    reference: str | None
    idempotency_key: str
    posted_at: float

    def view(self) -> dict[str, Any]:
        return {
            "charge_id": self.charge_id,
            "room": self.room,
            "guest_name": self.guest_name,
            "amount": {"amount_minor": self.amount_minor, "currency": self.currency},
            "description": self.description,
            "reference": self.reference,
            "idempotency_key": self.idempotency_key,
            "posted_at": int(self.posted_at),
        }


@dataclass(frozen=True)
class ChargeRequest:
    """One call of the charge endpoint as the PMS saw it, whatever it answered."""

    at: float
    idempotency_key: str | None
    status_code: int
    charge_id: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "idempotency_key": self.idempotency_key,
            "status_code": self.status_code,
            "charge_id": self.charge_id,
        }


@dataclass
class Failure:
    """What the PMS answers instead of posting, and for how many more calls (None: until told
    otherwise)."""

    status: int
    remaining: int | None
    message: str


@dataclass
class PmsSandbox:
    """The double's memory, and the knobs tests turn in-process."""

    settings: PmsSettings
    charges: dict[str, Charge] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    requests: list[ChargeRequest] = field(default_factory=list)
    failure: Failure | None = None

    def fail(self, status: int = 503, times: int | None = None, message: str = "") -> None:
        """Answer the next `times` charge calls (None: all until `recover()`) with `status`."""
        self.failure = Failure(status, times, message or _default_message(status))

    def recover(self) -> None:
        self.failure = None

    def reset(self) -> None:
        self.charges.clear()
        self.by_key.clear()
        self.requests.clear()
        self.failure = None

    def take_failure(self) -> Failure | None:
        """The failure to answer this call with, counting it down."""
        failure = self.failure
        if failure is None:
            return None
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                self.failure = None
        return failure


def _default_message(status: int) -> str:
    if status == 503:
        return "the PMS is temporarily unavailable"
    if status == 429:
        return "too many requests"
    if status >= 500:
        return "the PMS failed to post the charge"
    return "the PMS refused the charge"


# --- API ------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AmountIn(_Body):
    amount_minor: int = Field(ge=1, description="in minor units, e.g. cents")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class ChargeIn(_Body):
    room: str = Field(min_length=1, max_length=100, description="the room whose folio it goes on")
    guest_name: str = Field(min_length=1, max_length=200)
    amount: AmountIn
    description: str = Field(min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=200, description="the partner's id")


class FailureIn(_Body):
    status: int = Field(default=503, ge=400, le=599)
    times: int | None = Field(default=None, ge=1, description="how many calls; null: until told")
    message: str = Field(default="", max_length=500)


class PmsError(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param


def _on_pms_error(_: Request[Any, Any, Any], exc: PmsError) -> Response[Any]:
    error: dict[str, Any] = {"type": exc.kind, "message": exc.message}
    if exc.param:
        error["param"] = exc.param
    headers = {"Retry-After": "1"} if exc.status in (429, 503) else None
    return Response({"error": error}, status_code=exc.status, headers=headers)


def _pms(state: State) -> PmsSandbox:
    pms: PmsSandbox = state.pms
    return pms


def require_api_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: it runs before the body is read, so a caller without the key learns nothing."""
    given = connection.headers.get(API_KEY_HEADER.lower(), "")
    expected = _pms(connection.app.state).settings.api_key
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise PmsError(401, "authentication_error", f"invalid or missing {API_KEY_HEADER}")


def _same_charge(charge: Charge, data: ChargeIn) -> bool:
    return (
        charge.room,
        charge.guest_name,
        charge.amount_minor,
        charge.currency,
        charge.description,
        charge.reference,
    ) == (
        data.room,
        data.guest_name,
        data.amount.amount_minor,
        data.amount.currency,
        data.description,
        data.reference,
    )


@post("/api/v1/folio-charges", status_code=HTTP_201_CREATED, guards=[require_api_key])
async def post_charge(
    data: JSONBody[ChargeIn],
    state: State,
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", max_length=200)
    ] = None,
) -> Response[dict[str, Any]]:
    """Post a charge to the folio of the room's guest, once per idempotency key."""
    pms = _pms(state)
    at = time.time()
    if not idempotency_key:
        pms.requests.append(ChargeRequest(at, None, 400))
        raise PmsError(
            400, "invalid_request", "the Idempotency-Key header is required", "Idempotency-Key"
        )
    failure = pms.take_failure()
    if failure is not None:
        pms.requests.append(ChargeRequest(at, idempotency_key, failure.status))
        kind = "unavailable" if failure.status >= 500 else "charge_refused"
        raise PmsError(failure.status, kind, failure.message)
    known_id = pms.by_key.get(idempotency_key)
    if known_id is not None:
        known = pms.charges[known_id]
        if not _same_charge(known, data):
            pms.requests.append(ChargeRequest(at, idempotency_key, 422))
            raise PmsError(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used for another charge",
                "Idempotency-Key",
            )
        pms.requests.append(ChargeRequest(at, idempotency_key, 201, known_id))
        return Response(
            known.view(), status_code=HTTP_201_CREATED, headers={"Idempotent-Replayed": "true"}
        )
    charge = Charge(
        charge_id=f"chg_{secrets.token_hex(10)}",
        room=data.room,
        guest_name=data.guest_name,
        amount_minor=data.amount.amount_minor,
        currency=data.amount.currency,
        description=data.description,
        reference=data.reference,
        idempotency_key=idempotency_key,
        posted_at=at,
    )
    pms.charges[charge.charge_id] = charge
    pms.by_key[idempotency_key] = charge.charge_id
    pms.requests.append(ChargeRequest(at, idempotency_key, 201, charge.charge_id))
    log.info("charge %s posted to room %s", charge.charge_id, charge.room)
    return Response(charge.view(), status_code=HTTP_201_CREATED)


@get("/api/v1/folio-charges/{charge_id:str}", guards=[require_api_key])
async def show_charge(charge_id: FromPath[str], state: State) -> dict[str, Any]:
    charge = _pms(state).charges.get(charge_id)
    if charge is None:
        raise PmsError(404, "not_found", f"no charge {charge_id}", "charge_id")
    return charge.view()


@get("/api/v1/folio-charges", guards=[require_api_key])
async def list_charges(
    state: State, room: Annotated[str | None, QueryParameter()] = None
) -> list[dict[str, Any]]:
    return [c.view() for c in _pms(state).charges.values() if room is None or c.room == room]


# --- the tests' control API -----------------------------------------------------------------


@put("/_control/failure", status_code=HTTP_200_OK)
async def set_failure(data: JSONBody[FailureIn], state: State) -> dict[str, Any]:
    pms = _pms(state)
    pms.fail(data.status, data.times, data.message)
    assert pms.failure is not None
    return {"status": data.status, "times": data.times, "message": pms.failure.message}


@delete("/_control/failure", status_code=HTTP_200_OK)
async def clear_failure(state: State) -> dict[str, Any]:
    _pms(state).recover()
    return {"failing": False}


@get("/_control/charges")
async def control_charges(state: State) -> dict[str, Any]:
    pms = _pms(state)
    return {
        "charges": [c.view() for c in pms.charges.values()],
        "requests": [r.view() for r in pms.requests],
        "failing": pms.failure is not None,
    }


@post("/_control/reset", status_code=HTTP_200_OK)
async def reset(state: State) -> dict[str, Any]:
    _pms(state).reset()
    return {"reset": True}


# The same health paths as Convive's services, so the platform waits for it like for them.
@get(["/health", "/health/live", "/health/ready"], sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: PmsSettings | None = None) -> Litestar:
    """The double's ASGI app; its state is `app.state.pms`."""
    app = Litestar(
        route_handlers=[
            post_charge,
            show_charge,
            list_charges,
            set_failure,
            clear_failure,
            control_charges,
            reset,
            health,
        ],
        exception_handlers={PmsError: _on_pms_error},
    )
    app.state.pms = PmsSandbox(settings or PmsSettings())
    return app


def main(argv: list[str] | None = None) -> None:
    settings = PmsSettings()
    parser = argparse.ArgumentParser(
        prog="python -m convive.doubles.pms", description="a PMS test double, over HTTP"
    )
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    # The API key stays in the environment: a command line is visible to every local user.
    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
