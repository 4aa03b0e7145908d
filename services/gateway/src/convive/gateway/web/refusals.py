"""The one way the gateway refuses a request itself (bad input, not signed in, not allowed, a
forged form): raise `Refused`. Its handler (`web.handlers`) answers JSON to scripts and, to a
browser, what the app does with a refusal: back to the guest page or the console with the
message, the staff login page, or the staff's "not allowed" page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response


class Refused(Exception):
    """A request the gateway refuses: its HTTP status, a message for people, the field at
    fault; `reason` and `extra` go into the JSON answer for scripts, `back` is where a plain
    form post is sent back to with the message."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        *,
        reason: str | None = None,
        back: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.reason, self.back, self.extra = reason, back, extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "error": self.message}
        if self.field:
            body["field"] = self.field
        if self.reason:
            body["reason"] = self.reason
        return {**body, **self.extra}

    def as_json(self) -> Response[Any]:
        return Response(self.body(), status_code=self.status, headers={"cache-control": "no-store"})


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """Whether a script asks (it wants JSON back, not a page or a redirect)."""
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return (
        "application/json" in accept
        or content_type.startswith("application/json")
        or request.headers.get("x-requested-with") == "fetch"
    )
