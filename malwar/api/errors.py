"""Every error is an RFC 9457 problem document (``application/problem+json``), never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from malwar.api.observe import log
from malwar.store import NotFound, StoreError
from malwar.store.sqlite import Conflict

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://github.com/malwar-dev/malwar/blob/main/docs/api.md#problem-"

_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Request body too large", 415: "Unsupported media type",
    422: "Unprocessable content", 429: "Too many requests", 500: "Internal server error",
    503: "Service unavailable",
}


class Problem(HTTPException):
    """An HTTP error with a clear, safe ``detail`` message."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail=detail, status_code=status, headers=headers, extra=extra or None)


def problem_response(request: Request[Any, Any, Any], status: int, detail: str,
                     headers: dict[str, str] | None = None, extra: Any = None) -> Response[Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{status}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    if isinstance(extra, dict):
        body.update({k: v for k, v in extra.items() if k not in body})
    elif isinstance(extra, list) and extra:
        body["errors"] = extra
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    detail = exc.detail if exc.detail else _TITLES.get(exc.status_code, "Error")
    if isinstance(exc, ValidationException):
        detail = "The request does not match the API schema" if detail == "Validation failed" else detail
        detail = _safe_validation_detail(detail)
    return problem_response(request, exc.status_code, detail, exc.headers, exc.extra)


def _safe_validation_detail(detail: str) -> str:
    # Litestar's messages name the handler ("... for POST /api/v1/scan"), which is fine;
    # they never echo the body.
    return detail[:500]


def store_error_handler(request: Request[Any, Any, Any], exc: StoreError) -> Response[Any]:
    if isinstance(exc, NotFound):
        return problem_response(request, 404, str(exc))
    if isinstance(exc, Conflict):
        return problem_response(request, 409, str(exc))
    metrics = request.app.state.get("metrics")
    if metrics is not None:
        metrics.db_errors.labels("request").inc()
    log(logging.ERROR, "database error", error=str(exc)[:300],
        request_id=request.scope.get("state", {}).get("request_id"))
    return problem_response(request, 503, "The database is unavailable; retry shortly",
                            headers={"Retry-After": "2"})


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logging.getLogger("malwar.api").error(
        "unhandled error", exc_info=exc,
        extra={"fields": {"request_id": request.scope.get("state", {}).get("request_id")}})
    return problem_response(request, HTTP_500_INTERNAL_SERVER_ERROR,
                            "An internal error occurred; it has been logged with the request id")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: http_exception_handler,
    StoreError: store_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "Problem", "problem_response"]
