"""Operations: API keys, webhook deliveries, metrics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from litestar import Request, Response, delete, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from malwar.api.schemas import CreatedKey, DeliveryOut, KeyIn, KeyOut, Requeued, to_struct

ADMIN = {"role": "admin"}
ANALYST = {"role": "analyst"}


@get("/keys", opt=ADMIN, tags=["admin"], summary="API keys stored in the database (never the keys themselves).")
async def list_keys(request: Request[Any, Any, Any]) -> list[KeyOut]:
    return [to_struct(KeyOut, k) for k in request.app.state.store.list_keys()]


@post("/keys", opt=ADMIN, tags=["admin"], summary="Create an API key; the key is in this response only.")
async def create_key(request: Request[Any, Any, Any], data: JSONBody[KeyIn]) -> CreatedKey:
    key, record = request.app.state.store.create_key(data.role, data.name)
    return CreatedKey(key, to_struct(KeyOut, record))


@delete("/keys/{key_id:str}", opt=ADMIN, tags=["admin"], status_code=200, summary="Revoke an API key.")
async def revoke_key(request: Request[Any, Any, Any],
                     key_id: Annotated[str, Parameter(max_length=100)]) -> KeyOut:
    return to_struct(KeyOut, request.app.state.store.revoke_key(key_id))


@get("/webhooks/deliveries", opt=ANALYST, tags=["webhooks"], summary="Webhook deliveries, newest first.")
async def list_deliveries(request: Request[Any, Any, Any],
                          status: FromQuery[Literal["pending", "delivered", "failed"] | None] = None,
                          limit: Annotated[int, Parameter(ge=1, le=500)] = 100) -> list[DeliveryOut]:
    return [to_struct(DeliveryOut, d) for d in request.app.state.store.list_deliveries(status, limit)]


@post("/webhooks/deliveries/retry", opt=ADMIN, tags=["webhooks"], status_code=200,
      summary="Send every failed delivery again.")
async def retry_deliveries(request: Request[Any, Any, Any]) -> Requeued:
    count = await anyio.to_thread.run_sync(request.app.state.store.requeue_failed_deliveries)
    dispatcher = request.app.state.get("dispatcher")
    if dispatcher is not None:
        dispatcher.notify(())
    return Requeued(count)


@get("/metrics", opt={"role": "metrics"}, tags=["admin"], media_type="text/plain; version=0.0.4",
     summary="Prometheus metrics.")
async def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
