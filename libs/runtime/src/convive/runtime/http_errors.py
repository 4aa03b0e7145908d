"""How a service answers what it refuses: the HTTP status of each kind of domain error, and the
Litestar handlers that turn refusals, bad requests and surprises into JSON.

Every refusal names the problem: `{"error": "...", "field": "...", "status": 4xx}`. The domain's
errors (`convive.runtime.domain`) carry no status; the mapping lives here and only here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_502_BAD_GATEWAY,
)

from convive.runtime.domain import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ThirdPartyUnavailable,
    TooManyAttempts,
    Unauthenticated,
)
from convive.runtime.eventstore import ConcurrencyError

log = logging.getLogger(__name__)

_MISSING_PARAMETER = re.compile(
    r"Missing required (?:query|path|header|cookie) parameter '([^']+)'"
)


STATUS_OF: Mapping[type[DomainError], int] = {
    Invalid: HTTP_400_BAD_REQUEST,
    Unauthenticated: HTTP_401_UNAUTHORIZED,
    Forbidden: HTTP_403_FORBIDDEN,
    NotFound: HTTP_404_NOT_FOUND,
    Conflict: HTTP_409_CONFLICT,
    Gone: HTTP_410_GONE,
    TooManyAttempts: HTTP_429_TOO_MANY_REQUESTS,
    ThirdPartyUnavailable: HTTP_502_BAD_GATEWAY,
    DomainError: HTTP_422_UNPROCESSABLE_ENTITY,
}
"""The status of each kind of refusal; a subclass a service defines answers as its nearest
kind above."""


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return HTTP_422_UNPROCESSABLE_ENTITY


def _body(
    status: int,
    message: str,
    field: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response[dict]:  # type: ignore[type-arg]
    content: dict[str, object] = {"status": status, "error": message}
    if field:
        content["field"] = field
    content.update(extra or {})
    return Response(content, status_code=status, headers=headers)


def on_domain_error(_: Request, exc: DomainError) -> Response[dict]:  # type: ignore[type-arg]
    if isinstance(exc, TooManyAttempts):
        return _body(
            status_of(exc),
            exc.message,
            exc.field,
            headers={"Retry-After": str(exc.retry_after)},
            extra={"retry_after": exc.retry_after, **exc.details},
        )
    return _body(status_of(exc), exc.message, exc.field, extra=exc.details)


def on_concurrency_error(_: Request, exc: ConcurrencyError) -> Response[dict]:  # type: ignore[type-arg]
    return _body(HTTP_409_CONFLICT, str(exc))


def on_validation_error(_: Request, exc: ValidationException) -> Response[dict]:  # type: ignore[type-arg]
    details = exc.extra if isinstance(exc.extra, list) else []
    fields = [d.get("key") for d in details if isinstance(d, dict) and d.get("key")]
    if not fields and (missing := _MISSING_PARAMETER.search(exc.detail or "")):
        fields = [missing.group(1)]
    message = exc.detail
    first = details[0] if details and isinstance(details[0], dict) else {}
    if first.get("key") == "data" and first.get("source") == "body":
        return _body(exc.status_code, "a JSON body is required", extra={"details": details})
    if first.get("message"):
        message = f"{exc.detail}: {first.get('key', 'body')}: {first['message']}"
    return _body(
        exc.status_code, message, fields[0] if fields else None, extra={"details": details}
    )


def on_http_error(_: Request, exc: HTTPException) -> Response[dict]:  # type: ignore[type-arg]
    return _body(exc.status_code, exc.detail, headers=exc.headers)


def on_unexpected(request: Request, exc: Exception) -> Response[dict]:  # type: ignore[type-arg]
    log.exception("unhandled error", extra={"path": request.url.path})
    return _body(HTTP_500_INTERNAL_SERVER_ERROR, "internal error")


EXCEPTION_HANDLERS = {
    DomainError: on_domain_error,
    ConcurrencyError: on_concurrency_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
