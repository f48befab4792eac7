"""Deliver webhook events from the outbox, in the worker's event loop, off the request path.

A delivery is leased to one process while it is being sent, so several workers never
send the same event. Each event is tried ``max_attempts`` times with exponential
backoff (tenacity); then it is marked failed, listed by ``GET /api/v1/webhooks/deliveries``
and tried again after the next restart. On shutdown the in-flight deliveries get a short
grace period; whatever is left stays pending in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import anyio.to_thread
import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from malwar.store import Delivery, Store, StoreError
from malwar.webhooks.events import EVENT_TYPE
from malwar.webhooks.signing import signed_headers

logger = logging.getLogger("malwar.webhooks")


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Dispatcher:
    def __init__(self, store: Store, secret: str, *, metrics: Any = None, timeout_seconds: float = 10.0,
                 max_attempts: int = 5, backoff_seconds: float = 1.0, backoff_max_seconds: float = 30.0,
                 poll_seconds: float = 5.0, concurrency: int = 8, drain_seconds: float = 5.0) -> None:
        self.store = store
        self.secret = secret
        self.metrics = metrics
        self.timeout = timeout_seconds
        self.max_attempts = max_attempts
        self.backoff = backoff_seconds
        self.backoff_max = backoff_max_seconds
        self.poll = poll_seconds
        self.drain = drain_seconds
        # Long enough for every retry of one delivery; a crashed worker's lease expires after it.
        self.lease = max_attempts * (timeout_seconds + backoff_max_seconds) + 30
        self._sem = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self, recover: bool = True) -> None:
        self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        if recover:
            # "Retried after a restart": failed deliveries go back to pending once per start.
            requeued = await anyio.to_thread.run_sync(self.store.requeue_failed_deliveries)
            if requeued:
                logger.info("webhook deliveries requeued", extra={"fields": {"count": requeued}})
        self._runner = asyncio.create_task(self._run())

    def notify(self, delivery_ids: Iterable[int] = ()) -> None:
        """New deliveries were stored (or requeued); send them now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.drain)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._client is not None:
            await self._client.aclose()

    # -- the loop -----------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await anyio.to_thread.run_sync(self.store.claim_deliveries, None, 64, self.lease)
            except StoreError as exc:
                self._db_error("claim", exc)
                claimed = []
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(delivery))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(claimed) == 64:
                continue  # a backlog: keep draining it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)

    async def _deliver(self, delivery: Delivery) -> None:
        async with self._sem:
            attempts = 0
            error: str | None = None
            status: int | None = None
            ok = False
            try:
                retrying = AsyncRetrying(
                    stop=stop_after_attempt(self.max_attempts),
                    wait=wait_exponential(multiplier=self.backoff, max=self.backoff_max),
                    retry=retry_if_exception_type(DeliveryFailed), reraise=False)
                async for attempt in retrying:
                    with attempt:
                        attempts += 1
                        status = await self._post(delivery)
                ok = True
            except RetryError as exc:
                last = exc.last_attempt.exception()
                error = str(last)[:500]
                status = getattr(last, "status", None)
            except asyncio.CancelledError:
                # Shutdown: leave it pending (the attempts so far are counted) for the next start.
                await self._finish_later(delivery, attempts, error)
                raise
            await self._record(delivery, ok, attempts, error, status)

    async def _post(self, delivery: Delivery) -> int:
        assert self._client is not None
        headers = signed_headers(self.secret, delivery.payload, EVENT_TYPE, delivery.event_id)
        try:
            response = await self._client.post(delivery.url, content=delivery.payload, headers=headers)
        except httpx.HTTPError as exc:
            self._count_attempt("error")
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            self._count_attempt(str(response.status_code))
            raise DeliveryFailed(f"receiver answered HTTP {response.status_code}", response.status_code)
        self._count_attempt(str(response.status_code))
        return response.status_code

    async def _record(self, delivery: Delivery, ok: bool, attempts: int, error: str | None,
                      status: int | None) -> None:
        try:
            await anyio.to_thread.run_sync(
                lambda: self.store.finish_delivery(delivery.id, ok=ok, attempts=attempts, error=error,
                                                   status_code=status))
        except StoreError as exc:
            self._db_error("finish_delivery", exc)
        if self.metrics is not None:
            self.metrics.webhook_deliveries.labels("delivered" if ok else "failed").inc()
        fields = {"delivery_id": delivery.id, "event_id": delivery.event_id, "scan_id": delivery.scan_id,
                  "attempts": attempts, "status": status}
        if ok:
            logger.info("webhook delivered", extra={"fields": fields})
        else:
            logger.warning("webhook delivery failed", extra={"fields": {**fields, "error": error}})

    async def _finish_later(self, delivery: Delivery, attempts: int, error: str | None) -> None:
        with contextlib.suppress(StoreError):
            await asyncio.shield(anyio.to_thread.run_sync(self.store.release_delivery, delivery.id, attempts))

    def _count_attempt(self, result: str) -> None:
        if self.metrics is not None:
            self.metrics.webhook_attempts.labels(result).inc()

    def _db_error(self, operation: str, exc: Exception) -> None:
        if self.metrics is not None:
            self.metrics.db_errors.labels(operation).inc()
        logger.error("webhook database error", extra={"fields": {"operation": operation, "error": str(exc)[:300]}})
