"""Errors a service answers with a 4xx, and the Litestar handlers that turn them into JSON.

Every refusal names the problem: `{"error": "...", "field": "...", "status": 4xx}`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR

from convive.runtime.eventstore import ConcurrencyError

log = logging.getLogger(__name__)

_MISSING_PARAMETER = re.compile(
    r"Missing required (?:query|path|header|cookie) parameter '([^']+)'"
)


class DomainError(Exception):
    """A command the domain refuses; `status` is the HTTP status to answer with."""

    status = 422

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Facts a client acts on, added to the JSON body (e.g. who validated a round first).
        self.details = dict(details or {})


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


def _body(
    status: int,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> Response[dict]:  # type: ignore[type-arg]
    content: dict[str, object] = {"status": status, "error": message}
    if field:
        content["field"] = field
    content.update(extra)
    return Response(content, status_code=status, headers=headers)


def on_domain_error(_: Request, exc: DomainError) -> Response[dict]:  # type: ignore[type-arg]
    return _body(exc.status, exc.message, exc.field, **getattr(exc, "details", {}))


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
        return _body(exc.status_code, "a JSON body is required", None, details=details)
    if first.get("message"):
        message = f"{exc.detail}: {first.get('key', 'body')}: {first['message']}"
    return _body(exc.status_code, message, fields[0] if fields else None, details=details)


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
