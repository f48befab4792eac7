"""``malwar serve``: the scanning service (Litestar under granian), the same entry point as the container."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from malwar.cli.app import app, fail


def _metrics_dir(db_path: str) -> str:
    """A fresh folder where each worker keeps its Prometheus numbers (summed when scraped)."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        if path.is_dir():
            for child in path.glob("*.db"):
                child.unlink(missing_ok=True)
        else:
            path.mkdir(parents=True)
        return str(path)
    try:
        return tempfile.mkdtemp(prefix="malwar-metrics-")
    except OSError:  # a read-only root file system: use the (writable) database folder
        path = Path(db_path).resolve().parent / ".malwar-metrics"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        return str(path)


def _granian_logging(fmt: str, level: str) -> dict[str, object]:
    formatter = "malwar.api.observe.JsonFormatter" if fmt == "json" else "malwar.api.observe.ConsoleFormatter"
    handler = {"class": "logging.StreamHandler", "formatter": "malwar", "stream": "ext://sys.stderr"}
    quiet = max(logging.getLevelName(level), logging.WARNING)
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"malwar": {"()": formatter}},
        "handlers": {"stderr": handler},
        "loggers": {"_granian": {"handlers": ["stderr"], "level": logging.INFO, "propagate": False},
                    "granian.access": {"handlers": ["stderr"], "level": quiet, "propagate": False}},
    }


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on [MALWAR_HOST].")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port [MALWAR_PORT].")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=64,
                                                help="Worker processes [MALWAR_WORKERS].")] = None,
) -> None:
    """Run the authenticated scanning API under /api/v1 (settings: docs/settings.md).

    SIGTERM stops it gracefully: requests in flight finish, queued webhooks are sent or
    kept for the next start.
    """
    from malwar.api.observe import configure_logging, log
    from malwar.api.settings import SettingsError, env_name, load_settings
    from malwar.store import StoreError, open_store

    try:
        settings = load_settings(os.environ, host=host, port=port, workers=workers)
    except SettingsError as exc:
        fail(str(exc))
    configure_logging(settings.log_level, settings.log_format)
    try:
        store = open_store(settings.db_path, settings.db_url, settings.db_busy_timeout_ms)
        if settings.auto_migrate:
            applied = store.migrate()
            if applied:
                log(logging.INFO, "database migrated", applied=applied)
        elif (pending := store.migration_status().pending):
            log(logging.WARNING, "database migrations pending; /ready answers 503 until `malwar db migrate`",
                pending=pending)
        db_keys = store.active_key_count() if not store.migration_status().pending else 0
        store.close()
    except StoreError as exc:
        fail(str(exc), 1)
    # No key at all: open on loopback (or with MALWAR_ALLOW_OPEN), closed elsewhere. Closed still
    # starts, so probes pass and `malwar keys create` can be run beside it (kubectl exec).
    from malwar.api.app import announce_access

    announce_access(settings, bool(settings.api_keys or db_keys))
    # Workers rebuild their settings from the environment: hand them the flags the same way.
    os.environ[env_name("host")] = settings.host
    os.environ[env_name("port")] = str(settings.port)
    os.environ[env_name("workers")] = str(settings.workers)
    if settings.workers > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir(settings.db_path)

    from granian.constants import Interfaces
    from granian.server import Server

    log(logging.INFO, "serving", host=settings.host, port=settings.port, workers=settings.workers,
        url=f"http://{settings.host}:{settings.port}/api/v1/health")
    Server(
        "malwar.api.app:app_from_env", factory=True, interface=Interfaces.ASGI,
        address=settings.host, port=settings.port, workers=settings.workers,
        log_dictconfig=_granian_logging(settings.log_format, settings.log_level), log_access=False,
        respawn_failed_workers=True, workers_kill_timeout=30,
    ).serve()
