"""One error root, and the single place that turns errors into problem+json (RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from frontdesk.core.logging import correlation_id, get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("frontdesk.errors")


class FrontdeskError(Exception):
    """Root of every error Frontdesk raises on purpose."""

    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequest(FrontdeskError):
    """The request cannot be read (e.g. invalid UTF-8)."""

    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(FrontdeskError):
    """No valid credentials."""

    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(FrontdeskError):
    """Authenticated, but the role does not allow this."""

    status, code, title = 403, "forbidden", "Forbidden"


class SessionExpired(Unauthorized):
    """A console session cookie that is unknown, logged out or past its expiry."""

    code = "session_expired"


class CsrfFailed(Forbidden):
    """A cookie-authenticated write without the matching ``X-CSRF-Token`` header."""

    code = "csrf_failed"


class NotFound(FrontdeskError):
    """The resource does not exist for this tenant."""

    status, code, title = 404, "not_found", "Not found"


class Conflict(FrontdeskError):
    """The change conflicts with existing state."""

    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(FrontdeskError):
    """The request body is over the configured limit."""

    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(FrontdeskError):
    """The request body is not of an accepted content type."""

    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ValidationFailed(FrontdeskError):
    """The request is well-formed but its content is invalid."""

    status, code, title = 422, "validation_error", "Validation failed"


class RateLimited(FrontdeskError):
    """Too many requests; retry after ``retry_after`` seconds."""

    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, retry_after: float, detail: str | None = None) -> None:
        super().__init__(detail or "Rate limit exceeded", retry_after=retry_after)
        self.retry_after = retry_after


class UpstreamError(FrontdeskError):
    """A dependency (database, provider) failed."""

    status, code, title = 503, "upstream_unavailable", "Service unavailable"


def problem(
    status: int, code: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    """Build an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": f"https://frontdesk.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    cid = correlation_id.get()
    if cid:
        body["correlation_id"] = cid
    body.update(extra)
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(max(1, int(extra["retry_after"] + 0.999)))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that render every error as problem+json."""

    @app.exception_handler(FrontdeskError)
    async def _frontdesk(request: Request, exc: FrontdeskError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.title, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem(
            422,
            "validation_error",
            "Validation failed",
            "The request is invalid",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        return problem(exc.status_code, code, title, str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem(
            500,
            "internal_error",
            "Internal error",
            "An unexpected error occurred",
            request.url.path,
        )
