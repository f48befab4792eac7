"""Signed webhook events: delivered off the request path, retried, persisted, retried after restart."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from malwar.api.app import create_app
from malwar.api.settings import load_settings
from malwar.store import SQLiteStore
from malwar.webhooks import sign, verify
from tests.api.conftest import ADMIN_KEY, CLEAN, MALICIOUS
from tests.webhooks.receiver import receiver

SECRET = "webhook-secret-for-tests"
H = {"X-API-Key": ADMIN_KEY}


def app_client(tmp_path: Path, url: str, **env: str) -> TestClient[Any]:
    settings = load_settings({"MALWAR_DB_PATH": str(tmp_path / "wh.db"), "MALWAR_API_KEYS": ADMIN_KEY,
                              "MALWAR_WEBHOOK_URLS": url, "MALWAR_WEBHOOK_SECRET": SECRET,
                              "MALWAR_WEBHOOK_MAX_ATTEMPTS": "3", "MALWAR_WEBHOOK_TIMEOUT_SECONDS": "2", **env})
    return TestClient(create_app(settings, webhook_backoff_seconds=0.01))


def wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_signature_covers_timestamp_and_exact_bytes() -> None:
    body = b'{"a":1}'
    headers = {"X-Malwar-Timestamp": "1700000000", "X-Malwar-Signature": sign(SECRET, 1700000000, body)}
    assert verify(SECRET, headers, body, now=1700000010)
    assert not verify(SECRET, headers, body + b" ", now=1700000010)
    assert not verify("other-secret", headers, body, now=1700000010)
    assert not verify(SECRET, headers, body, now=1700000000 + 3600), "an old timestamp is a replay"
    assert not verify(SECRET, {}, body)


def test_a_suspicious_scan_sends_one_signed_event_and_a_clean_one_none(tmp_path: Path) -> None:
    with receiver() as rx, app_client(tmp_path, rx.url) as client:
        clean = client.post("/api/v1/scan", json={"content": CLEAN}, headers=H).json()
        bad = client.post("/api/v1/scan", json={"content": MALICIOUS}, headers=H).json()
        wait_for(lambda: len(rx.received) == 1)
        headers, body = rx.received[0]
        assert verify(SECRET, headers, body)
        event = json.loads(body)
        assert event["type"] == "scan.completed" and event["data"]["scan_id"] == bad["id"]
        assert event["data"]["verdict"] == bad["result"]["verdict"] and event["id"] == headers["X-Malwar-Event-Id"]
        assert clean["id"] != bad["id"]
        wait_for(lambda: client.get("/api/v1/webhooks/deliveries", params={"status": "delivered"},
                                    headers=H).json() != [])
        metrics = client.get("/api/v1/metrics", headers=H).text
        assert 'malwar_webhook_deliveries_total{outcome="delivered"} 1.0' in metrics


def test_transient_failures_are_retried_with_backoff(tmp_path: Path) -> None:
    with receiver(fail_first=2) as rx, app_client(tmp_path, rx.url) as client:
        client.post("/api/v1/scan", json={"content": MALICIOUS}, headers=H)
        wait_for(lambda: len(rx.received) == 1)
        wait_for(lambda: client.get("/api/v1/webhooks/deliveries", headers=H).json()[0]["status"] == "delivered")
        delivery = client.get("/api/v1/webhooks/deliveries", headers=H).json()[0]
        assert delivery["attempts"] == 3 and rx.attempts == 3


def test_failed_deliveries_are_recorded_and_retried_after_a_restart(tmp_path: Path) -> None:
    with receiver(always_fail=True) as rx, app_client(tmp_path, rx.url) as client:
        client.post("/api/v1/scan", json={"content": MALICIOUS}, headers=H)
        wait_for(lambda: client.get("/api/v1/webhooks/deliveries", params={"status": "failed"}, headers=H).json())
        failed = client.get("/api/v1/webhooks/deliveries", params={"status": "failed"}, headers=H).json()[0]
        assert failed["attempts"] == 3 and "500" in failed["last_error"] and rx.attempts == 3
        assert 'malwar_webhook_deliveries_total{outcome="failed"} 1.0' in client.get("/api/v1/metrics", headers=H).text
    with receiver() as rx:
        # The stored event goes to the URL it was recorded for; point it at a working receiver.
        store = SQLiteStore(tmp_path / "wh.db")
        with store._tx() as conn:
            conn.execute("UPDATE webhook_deliveries SET url = ?", (rx.url,))
        with app_client(tmp_path, rx.url) as client:
            wait_for(lambda: len(rx.received) == 1)
            _, body = rx.received[0]
            assert json.loads(body)["data"]["verdict"] in ("suspicious", "malicious")
            delivered = client.get("/api/v1/webhooks/deliveries", headers=H).json()[0]
            assert delivered["status"] == "delivered" and delivered["attempts"] == 4


def test_pending_events_survive_shutdown_and_are_sent_at_the_next_start(tmp_path: Path) -> None:
    # Nothing listens on the first URL's port, and the first server stops before retries end.
    with receiver() as rx:
        dead = rx.url
    with app_client(tmp_path, dead, MALWAR_WEBHOOK_MAX_ATTEMPTS="20") as client:
        client.post("/api/v1/scan", json={"content": MALICIOUS}, headers=H)
        time.sleep(0.2)
    store = SQLiteStore(tmp_path / "wh.db")
    pending = store.list_deliveries("pending")
    assert len(pending) == 1 and pending[0].attempts >= 1
    with receiver() as rx:
        with store._tx() as conn:
            conn.execute("UPDATE webhook_deliveries SET url = ?", (rx.url,))
        with app_client(tmp_path, rx.url):
            wait_for(lambda: len(rx.received) == 1)
    assert [d.status for d in store.list_deliveries()] == ["delivered"]
