"""Probes: liveness does no I/O; readiness checks the database and its migrations."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route

from malwar import __version__
from malwar.api.errors import problem_response
from malwar.api.schemas import Health, Ready

PUBLIC = {"role": "public"}


@route("/health", http_method=["GET", "HEAD"], opt=PUBLIC, tags=["probes"], security=[{}],
       summary="Liveness: the process answers. No I/O.")
async def health() -> Health:
    return Health("ok", __version__)


@route("/ready", http_method=["GET", "HEAD"], opt=PUBLIC, tags=["probes"], security=[{}],
       summary="Readiness: the database answers and every migration is applied; 503 with the reason otherwise.")
async def ready(request: Request[Any, Any, Any]) -> Response[Ready]:
    store = request.app.state.store
    reason = store.not_ready_reason()
    if reason is not None:
        return problem_response(request, 503, f"not ready: {reason}", headers={"Retry-After": "5"})
    return Response(Ready("ready", "ok"))
