"""``create_app(settings)``: the one factory used by ``malwar serve`` and by the tests.

Collaborators (store, scan service, webhook dispatcher, metrics) are built here and
hung on ``app.state``; handlers take them from there. Nothing is a module-level singleton.
"""

from __future__ import annotations

import logging
import os

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from malwar import __version__
from malwar.api.auth import Authenticator, access_guard
from malwar.api.errors import EXCEPTION_HANDLERS
from malwar.api.observe import Metrics, RequestObserver, configure_logging, log
from malwar.api.routes import admin, health, intel, rules, scans
from malwar.api.scanning import ScanService
from malwar.api.settings import ServerSettings, load_settings
from malwar.store import Store, open_store
from malwar.webhooks import Dispatcher

API_PREFIX = "/api/v1"

ROUTES = [
    health.health, health.ready,
    scans.scan, scans.scan_batch, scans.list_scans, scans.get_scan, scans.get_scan_sarif,
    rules.list_rules, rules.rule_detail,
    intel.list_campaigns, intel.get_campaign, intel.put_campaign, intel.delete_campaign,
    intel.list_signatures, intel.add_signature, intel.get_signature, intel.update_signature, intel.delete_signature,
    admin.list_keys, admin.create_key, admin.revoke_key, admin.list_deliveries, admin.retry_deliveries,
    admin.metrics,
]


def open_access_warning(settings: ServerSettings) -> str:
    return (f"NO API KEY IS CONFIGURED: every request to {settings.host}:{settings.port} is served as admin. "
            "Set MALWAR_API_KEYS or run `malwar keys create` before exposing this server.")


def closed_access_error(settings: ServerSettings) -> str:
    """Closed mode: no key anywhere and not loopback. The server runs (probes pass) but refuses the API."""
    return (f"NO API KEY IS CONFIGURED and {settings.host} is not loopback: every API request except "
            "/health, /ready and the OpenAPI document is refused with 401 until a key exists. Create one with "
            "`malwar keys create --role admin` (it works at once, no restart) or set MALWAR_API_KEYS; "
            "MALWAR_ALLOW_OPEN=true would instead serve everyone as admin.")


def announce_access(settings: ServerSettings, keys_configured: bool, **fields: object) -> None:
    """The loud start-up line when no key is configured: open (loopback) or closed (elsewhere)."""
    if keys_configured:
        return
    if settings.open_access_allowed:
        log(logging.WARNING, open_access_warning(settings), **fields)
    else:
        log(logging.ERROR, closed_access_error(settings), **fields)


def create_app(settings: ServerSettings, store: Store | None = None, *,
               webhook_backoff_seconds: float = 1.0, announce: bool = True) -> Litestar:
    """The app. ``announce=False`` when ``malwar serve`` has already said, once for all workers,
    that no API key is configured."""
    configure_logging(settings.log_level, settings.log_format)
    store = store or open_store(settings.db_path, settings.db_url, settings.db_busy_timeout_ms)
    if settings.auto_migrate:
        applied = store.migrate()
        if applied:
            log(logging.INFO, "database migrated", applied=applied)
    metrics = Metrics()
    dispatcher = None
    if settings.webhook_urls:
        dispatcher = Dispatcher(store, settings.webhook_secret, metrics=metrics,
                                timeout_seconds=settings.webhook_timeout_seconds,
                                max_attempts=settings.webhook_max_attempts,
                                backoff_seconds=webhook_backoff_seconds)
    service = ScanService(settings, store, metrics, dispatcher)
    auth = Authenticator(settings, store)

    async def on_startup() -> None:
        if dispatcher is not None:
            await dispatcher.start()
        if announce:
            announce_access(settings, auth.any_keys(), pid=os.getpid())
        log(logging.INFO, "worker started", pid=os.getpid(), db_path=settings.db_path,
            webhooks=len(settings.webhook_urls), version=__version__)

    async def on_shutdown() -> None:
        if dispatcher is not None:
            await dispatcher.stop()
        service.close()
        store.close()
        log(logging.INFO, "worker stopped", pid=os.getpid())

    cors = None
    if settings.cors_origins:
        cors = CORSConfig(allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST", "PUT", "PATCH",
                                                                                    "DELETE"],
                          allow_headers=["X-API-Key", "Content-Type", "X-Request-ID"], allow_credentials=False)
    api = Router(path=API_PREFIX, route_handlers=ROUTES)
    app = Litestar(
        route_handlers=[api],
        guards=[access_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        state=State({"store": store, "scans": service, "auth": auth, "metrics": metrics, "dispatcher": dispatcher,
                     "settings": settings}),
        request_max_body_size=settings.max_upload_bytes,
        cors_config=cors,
        logging_config=None,
        debug=False,
        openapi_config=OpenAPIConfig(
            title="malwar", version=__version__, path=f"{API_PREFIX}/schema",
            description="Static scanner for malicious AI-agent skill files. Authenticate with the X-API-Key header.",
            components=Components(security_schemes={
                "ApiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header")}),
            security=[{"ApiKey": []}],
        ),
    )
    # Observe the whole app, so unrouted requests (404, 405) are logged and counted too.
    app.asgi_handler = RequestObserver(app.asgi_handler, metrics)
    return app


def app_from_env() -> Litestar:
    """The granian factory: each worker builds its settings from the environment ``serve`` prepared."""
    return create_app(load_settings(os.environ), announce=False)


