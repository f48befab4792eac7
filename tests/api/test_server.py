"""The real thing: ``malwar serve`` (granian, two workers) on a loopback port, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from malwar.store import SQLiteStore
from tests.api.conftest import ADMIN_KEY, MALICIOUS, Server

H = {"X-API-Key": ADMIN_KEY}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("server")
    srv = Server(tmp, {"MALWAR_RATE_LIMIT_PER_KEY_PER_MINUTE": "0"})
    yield srv
    srv.stop()


def test_concurrent_scans_across_workers_never_lose_a_row(server: Server, tmp_path: Path) -> None:
    def post(i: int) -> int:
        with httpx.Client(base_url=server.url, headers=H, timeout=30) as c:
            ids = []
            for j in range(10):
                r = c.post("/api/v1/scan", json={"content": f"{MALICIOUS}\n<!-- {i}-{j} -->\n"})
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            return ids

    with ThreadPoolExecutor(16) as pool:
        ids = [i for batch in pool.map(post, range(16)) for i in batch]
    assert len(set(ids)) == 160
    store = SQLiteStore(Path(server.log).parent / "server.db")
    scans, findings = store.count_scans()
    assert scans >= 160
    per_scan = len(httpx.get(f"{server.url}/api/v1/scans/{ids[0]}", headers=H).json()["result"]["findings"])
    assert findings >= 160 * per_scan
    metrics = httpx.get(f"{server.url}/api/v1/metrics", headers=H).text
    total = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                if line.startswith("malwar_scans_total{"))
    assert total >= 160, "metrics must be summed over both workers"


def test_server_answers_probes_and_problems(server: Server) -> None:
    assert httpx.head(f"{server.url}/api/v1/health").status_code == 200
    r = httpx.get(f"{server.url}/api/v1/scans")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["x-request-id"]


def test_sigterm_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    srv = Server(tmp_path, {}, workers=1)
    body = json.dumps({"content": MALICIOUS}).encode()
    head = (f"POST /api/v1/scan HTTP/1.1\r\nHost: x\r\nX-API-Key: {ADMIN_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
        # The request is in flight (half its body sent) when SIGTERM arrives.
        sock.sendall(head.encode() + body[:20])
        time.sleep(0.3)
        os.killpg(srv.proc.pid, signal.SIGTERM)
        time.sleep(0.3)
        sock.sendall(body[20:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    assert srv.stop() == 0
    assert "worker stopped" in srv.log.read_text()


def run_serve(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("MALWAR_")}
    full.update({"MALWAR_DB_PATH": str(tmp_path / "x.db"), **env})
    return subprocess.run([sys.executable, "-m", "malwar", "serve", *args], env=full, capture_output=True,
                          text=True, timeout=60)


def test_serve_without_a_key_beyond_loopback_starts_closed(tmp_path: Path) -> None:
    """No key anywhere and not loopback: probes pass, the API answers 401, and a key created
    beside the running server (as `kubectl exec ... malwar keys create` would) works without a restart."""
    srv = Server(tmp_path, {"MALWAR_API_KEYS": "", "MALWAR_HOST": "0.0.0.0"})
    try:
        errors = [json.loads(line) for line in srv.log.read_text().splitlines()
                  if line.startswith("{") and '"level": "error"' in line]
        assert len(errors) == 1, "one loud line at start-up, not one per worker"
        message = errors[0]["message"]
        assert "NO API KEY IS CONFIGURED" in message and "401" in message
        assert "malwar keys create" in message and "MALWAR_API_KEYS" in message and "MALWAR_ALLOW_OPEN" in message
        scan = {"content": MALICIOUS}
        assert httpx.post(f"{srv.url}/api/v1/scan", json=scan).status_code == 401
        assert httpx.get(f"{srv.url}/api/v1/scans").status_code == 401
        assert httpx.get(f"{srv.url}/api/v1/health").status_code == 200
        assert httpx.head(f"{srv.url}/api/v1/health").status_code == 200
        assert httpx.get(f"{srv.url}/api/v1/ready").status_code == 200
        assert httpx.get(f"{srv.url}/api/v1/schema/openapi.json").status_code == 200

        env = {k: v for k, v in os.environ.items() if not k.startswith("MALWAR_")}
        created = subprocess.run([sys.executable, "-m", "malwar", "keys", "create", "--role", "admin",
                                  "--db", str(tmp_path / "server.db")], env=env, capture_output=True, text=True,
                                 timeout=60)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip()
        # Every worker must accept it; several requests over fresh connections reach both.
        for _ in range(6):
            r = httpx.post(f"{srv.url}/api/v1/scan", json=scan, headers={"X-API-Key": key})
            assert r.status_code == 201, r.text
        # Without a key the answer stays 401; within ~2 s every worker knows a key exists and says so.
        deadline = time.monotonic() + 10
        details = set()
        while time.monotonic() < deadline:
            r = httpx.post(f"{srv.url}/api/v1/scan", json=scan)
            assert r.status_code == 401
            details = {r.json()["detail"], *httpx.get(f"{srv.url}/api/v1/scans").json()["detail"].splitlines()}
            if details == {"A valid X-API-Key header is required"}:
                break
            time.sleep(0.5)
        assert details == {"A valid X-API-Key header is required"}
    finally:
        assert srv.stop() == 0


def test_serve_stops_on_a_bad_setting_with_one_line(tmp_path: Path) -> None:
    out = run_serve(tmp_path, {"MALWAR_WORKERS": "many"})
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == ["malwar: error: MALWAR_WORKERS: expected an integer, got 'many'"]
