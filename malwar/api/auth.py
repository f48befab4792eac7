"""Authentication (``X-API-Key``), roles per route, and rate limits applied after authentication.

Roles are ordered: read-only < scanner < analyst < admin; a route names the least role it
needs in its ``opt={"role": ...}`` (``"public"`` for probes and the OpenAPI document).
Keys come from ``MALWAR_API_KEYS`` (compared in constant time) or from the database (stored
as SHA-256 hashes). A key is never logged; logs name the key id instead.
"""

from __future__ import annotations

import hmac
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from malwar.api.errors import Problem
from malwar.api.settings import ROLES, ServerSettings
from malwar.store import Store
from malwar.store.sqlite import hash_api_key

RANK = {role: i for i, role in enumerate(ROLES)}
PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str  # "env:<n>", a database key id, or "open"
    role: str


class RateLimiter:
    """Token buckets, bounded in number (least recently used ones are dropped).

    Each worker process enforces its share (the limit divided by the worker count), so the
    server as a whole stays near the configured budget without shared state.
    """

    def __init__(self, per_minute: int, workers: int, max_buckets: int = 50_000) -> None:
        self.capacity = per_minute / max(workers, 1) if per_minute else 0.0
        self.rate = self.capacity / 60.0
        self.max_buckets = max_buckets
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, name: str, now: float | None = None) -> float:
        """0 when allowed, else the seconds to wait before the next request would be."""
        if not self.capacity:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.pop(name, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self.buckets[name] = (tokens, now)
        if len(self.buckets) > self.max_buckets:
            self.buckets.popitem(last=False)
        return wait


class Authenticator:
    def __init__(self, settings: ServerSettings, store: Store) -> None:
        self.store = store
        self.allow_open = settings.open_access_allowed
        self.metrics_public = settings.metrics_public
        # Only hashes stay in memory for comparison; the settings object keeps the originals.
        self._env = [(hash_api_key(k.key).encode(), f"env:{i}", k.role) for i, k in enumerate(settings.api_keys, 1)]
        self._db_keys_checked = 0.0
        self._db_has_keys = False
        self.by_key = RateLimiter(settings.rate_limit_per_key_per_minute, settings.workers)
        self.by_address = RateLimiter(settings.rate_limit_per_address_per_minute, settings.workers)
        # Failed authentications get a small budget per address, to slow key guessing.
        self.failures = RateLimiter(60, settings.workers)

    def any_keys(self) -> bool:
        if self._env:
            return True
        now = time.monotonic()
        if now - self._db_keys_checked > 2.0:
            self._db_has_keys = self.store.active_key_count() > 0
            self._db_keys_checked = now
        return self._db_has_keys

    def identify(self, presented: str | None) -> Principal | None:
        if not presented:
            return None
        digest = hash_api_key(presented).encode()
        found: Principal | None = None
        for env_hash, key_id, role in self._env:  # no early exit: the same work for every key
            if hmac.compare_digest(digest, env_hash):
                found = Principal(key_id, role)
        if found is not None:
            return found
        record = self.store.find_key(digest.decode())
        return Principal(record.id, record.role) if record is not None else None


def _client(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return client[0] if client else "unknown"


def _too_many(metrics: Any, scope: str, wait: float) -> Problem:
    if metrics is not None:
        metrics.rate_limited.labels(scope).inc()
    return Problem(429, f"Rate limit exceeded for this {scope}; retry after {math.ceil(wait)} s",
                   headers={"Retry-After": str(max(1, math.ceil(wait)))})


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Authenticate, check the route's role, then charge the key's and the address's budgets."""
    needed = handler.opt.get("role")
    if needed is None:
        # Litestar's own OpenAPI routes carry no role: the schema is public. Everything
        # else must name its role; a route that forgets is refused, never opened.
        needed = PUBLIC if handler.opt.get("openapi_public") or _is_openapi(connection) else "admin"
    auth: Authenticator = connection.app.state.auth
    if needed == "metrics":
        needed = PUBLIC if auth.metrics_public else "read-only"
    if needed == PUBLIC:
        return
    metrics = connection.app.state.get("metrics")
    address = _client(connection)
    principal = auth.identify(connection.headers.get("x-api-key"))
    if principal is None:
        if connection.headers.get("x-api-key") is None and not auth.any_keys():
            if not auth.allow_open:
                raise Problem(401, "No API key is configured and this server listens beyond loopback; "
                                   "create one with `malwar keys create` or set MALWAR_API_KEYS")
            principal = Principal("open", "admin")
        else:
            wait = auth.failures.take(address)
            if wait:
                raise _too_many(metrics, "address", wait)
            raise Problem(401, "A valid X-API-Key header is required",
                          headers={"WWW-Authenticate": 'APIKey header="X-API-Key"'})
    connection.scope["state"]["key_id"] = principal.key_id
    connection.scope["state"]["principal"] = principal
    if RANK[principal.role] < RANK[needed]:
        raise Problem(403, f"This API key has the {principal.role} role; this operation needs {needed}")
    wait = auth.by_key.take(principal.key_id)
    if wait:
        raise _too_many(metrics, "API key", wait)
    wait = auth.by_address.take(address)
    if wait:
        raise _too_many(metrics, "address", wait)


def _is_openapi(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.scope["path"].startswith("/api/v1/schema")


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    return connection.scope.get("state", {}).get("principal")
