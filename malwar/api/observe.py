"""Logs and metrics: one JSON log line per request and per scan, Prometheus counters.

The log never holds a secret or skill content: requests log method, route, status,
duration and request id; scans log verdict, score, size and duration.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
import uuid
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "malwar.api"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# One encoder for every line: json.dumps with options builds a new encoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields come from ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            out["error"] = f"{record.exc_info[0].__name__}: {str(record.exc_info[1])[:300]}"
            out["traceback"] = self.formatException(record.exc_info)
        return _ENCODE(out)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        base = f"{record.levelname:<7} {record.getMessage()}"
        text = f"{base} {extra}" if extra else base
        if record.exc_info and record.exc_info[0] is not None:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(level: str, fmt: str) -> None:
    """Send malwar's logs to stderr in the chosen format. Idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    for name in ("malwar", "granian", "_granian"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(level if name == "malwar" else max(logging.getLevelName(level), logging.WARNING))


def log(level: int, message: str, **fields: Any) -> None:
    # Two lines per request: skip Logger.log's caller lookup (a stack walk) and extra-key checks.
    logger = logging.getLogger(LOGGER)
    if logger.isEnabledFor(level):
        record = logging.LogRecord(LOGGER, level, "", 0, message, None, None)
        record.fields = fields
        logger.handle(record)


# -- metrics ------------------------------------------------------------------------------
class Metrics:
    """Prometheus metrics. With several workers, ``malwar serve`` sets PROMETHEUS_MULTIPROC_DIR
    and every worker's numbers are summed when scraped."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter("malwar_http_requests", "HTTP requests answered.",
                                ["method", "route", "status"], registry=reg)
        self.request_seconds = Histogram(
            "malwar_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=reg)
        self.scans = Counter("malwar_scans", "Scans stored, by verdict.", ["verdict"], registry=reg)
        self.scan_seconds = Histogram(
            "malwar_scan_duration_seconds", "Time to analyse one skill (without storing it).",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5), registry=reg)
        self.webhook_deliveries = Counter("malwar_webhook_deliveries", "Webhook events delivered.",
                                          ["outcome"], registry=reg)
        self.webhook_attempts = Counter("malwar_webhook_attempts", "Webhook HTTP attempts, by result.",
                                        ["result"], registry=reg)
        self.db_errors = Counter("malwar_db_errors", "Database operations that failed.", ["operation"],
                                 registry=reg)
        self.rate_limited = Counter("malwar_rate_limited", "Requests refused by a rate limit.", ["scope"],
                                    registry=reg)
        for verdict in ("clean", "caution", "suspicious", "malicious"):
            self.scans.labels(verdict)
        for outcome in ("delivered", "failed"):
            self.webhook_deliveries.labels(outcome)

    def render(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


# -- the request observer ----------------------------------------------------------------
class RequestObserver:
    """Wraps the whole ASGI app (404s and 405s included): request id, log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:  # a str enum: equal to the plain "http" servers send
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("path_template") or ("unmatched" if status in (404, 405) else scope["path"])
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.request_seconds.labels(method, route).observe(elapsed)
            fields: dict[str, Any] = {
                "request_id": request_id, "method": method, "path": scope["path"], "route": route,
                "status": status, "duration_ms": round(elapsed * 1000, 3),
            }
            key_id = state.get("key_id")
            if key_id:
                fields["key_id"] = key_id
            level = logging.ERROR if status >= 500 else logging.INFO
            log(level, "request", **fields)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None
