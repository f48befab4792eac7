"""The container's contract, without Docker: `malwar serve` started exactly as the image and
the chart start it, on a filesystem that is read-only except the data volume and a temp dir.

The command is the Dockerfile's ENTRYPOINT plus the args of the rendered Deployment; the
environment is the Dockerfile's ENV plus the rendered ConfigMap, Secret and container env.
Only three things differ from a pod, each because a test must: the listen address
(127.0.0.1 and a free port instead of 0.0.0.0:8000), the data directory (a temp dir given to
the chart as `malwar.dbPath`, as a volume would be), and TMPDIR/HOME (a temp dir standing in
for the /tmp emptyDir). Where unprivileged user and mount namespaces work (`unshare -rm`), the
whole root filesystem is remounted read-only for the server, like readOnlyRootFilesystem;
elsewhere the test checks that nothing was written outside the two writable directories.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from malwar.pipeline import Scanner
from tests.chart.conftest import ROOT, container, pod_env

API_KEY = "contract-test-key-0123456789abcdef"
SANDBOX = 'mount --bind "$1" "$1" && mount --bind "$2" "$2" && mount -o remount,bind,ro / && shift 2 && exec "$@"'
DROPPER = ROOT / "examples" / "fake-prerequisite-dropper" / "SKILL.md"


def dockerfile_runtime() -> tuple[list[str], dict[str, str]]:
    """ENTRYPOINT and ENV of the Dockerfile's last stage."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stage = text[text.rindex("\nFROM "):]
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", stage, re.M)[1])  # type: ignore[index]
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", stage, re.M):
        env.update(re.findall(r"(\w+)=(\S+)", line))
    return entrypoint, env


def sandbox_works() -> bool:
    try:
        probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -o remount,bind,ro / && ! touch /.malwar-ro"],
                               capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def snapshot(pod: Pod) -> set[Path]:
    """What the fallback check watches: the working directory, and bytecode in the package."""
    return set(pod.cwd.rglob("*")) | set((ROOT / "malwar").rglob("*.pyc"))


@dataclass
class Pod:
    command: list[str]
    env: dict[str, str]
    cwd: Path
    data: Path
    tmp: Path
    readonly: bool

    def wrap(self, argv: list[str]) -> list[str]:
        if not self.readonly:
            return argv
        return ["unshare", "-rm", "sh", "-c", SANDBOX, "sandbox", str(self.data), str(self.tmp), *argv]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`kubectl exec deploy/malwar -- malwar ARGS`: same image, same env, same mounts."""
        return subprocess.run(self.wrap([self.command[0], *args]), env=self.env, cwd=self.cwd,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pod(render, tmp_path_factory: pytest.TempPathFactory) -> Pod:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("pod")
    data, tmp, cwd = base / "data", base / "tmp", base / "app"
    for d in (data, tmp, cwd):
        d.mkdir()
    manifests = render({"malwar": {"apiKeys": [API_KEY], "dbPath": str(data / "malwar.db")}})
    entrypoint, image_env = dockerfile_runtime()
    mounts = {m["name"]: m["mountPath"] for m in container(manifests)["volumeMounts"]}
    assert mounts["data"] == str(data), "the chart mounts the data volume at the directory of dbPath"

    args = list(container(manifests)["args"])
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(free_port())
    bin_dir = Path(sys.executable).parent
    env = {**image_env, **pod_env(manifests)}
    env.update(PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin", HOME=str(tmp), TMPDIR=str(tmp))
    command = [str(bin_dir / entrypoint[0]), *args]
    readonly = sandbox_works()
    if not readonly:
        warnings.warn("unshare -rm is unavailable: the root filesystem stays writable; "
                      "checking instead that nothing is written outside the data and temp dirs", stacklevel=1)
    return Pod(command, env, cwd, data, tmp, readonly)


@pytest.fixture(scope="module")
def server(pod: Pod) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = pod.command[pod.command.index("--port") + 1]
    url = f"http://127.0.0.1:{port}"
    before = snapshot(pod)
    log = (pod.tmp.parent / "server.log").open("w+")
    proc = subprocess.Popen(pod.wrap(pod.command), env=pod.env, cwd=pod.cwd, stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"malwar serve exited with {proc.returncode}:\n{log.read()}", pytrace=False)
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"malwar serve did not answer within 30 s:\n{log.read()}", pytrace=False)
            time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    if not pod.readonly:
        assert snapshot(pod) == before, "the server wrote outside the data and temp dirs"


def test_the_sandbox_is_read_only(pod: Pod) -> None:
    if not pod.readonly:
        pytest.skip("no user namespaces here; the write check in the server fixture stands in")
    proc = subprocess.run(pod.wrap(["sh", "-c", f'touch "{pod.cwd}/x" 2>/dev/null && exit 1; touch "{pod.data}/x"']),
                          capture_output=True, timeout=10)
    assert proc.returncode == 0
    (pod.data / "x").unlink()


def test_health(server: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = server
    response = httpx.get(f"{url}/api/v1/health")
    assert response.status_code == 200
    assert httpx.head(f"{url}/api/v1/health").status_code == 200


def test_ready_after_auto_migrate(server: tuple[str, subprocess.Popen[str]], pod: Pod) -> None:
    url, _ = server
    response = httpx.get(f"{url}/api/v1/ready")
    assert response.status_code == 200, response.text
    assert (pod.data / "malwar.db").is_file()


def test_scan_needs_the_key_and_is_stored(server: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = server
    content = DROPPER.read_text()
    body = {"file_name": "SKILL.md", "content": content}
    assert httpx.post(f"{url}/api/v1/scan", json=body).status_code == 401
    response = httpx.post(f"{url}/api/v1/scan", json=body, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201, response.text
    record = response.json()
    # The same pipeline as the CLI: the service gives the verdict the library gives.
    assert record["result"]["verdict"] == Scanner().scan_text(content).verdict.value
    stored = httpx.get(f"{url}/api/v1/scans/{record['id']}", headers={"X-API-Key": API_KEY})
    assert stored.status_code == 200
    assert stored.json() == record


def test_db_commands_work_beside_the_running_server(server: tuple[str, subprocess.Popen[str]], pod: Pod) -> None:
    """`kubectl exec deploy/malwar -- malwar db migrate|backup`, while the server writes."""
    url, _ = server
    httpx.post(f"{url}/api/v1/scan", json={"content": "# notes"}, headers={"X-API-Key": API_KEY})
    migrate = pod.run("db", "migrate")
    assert migrate.returncode == 0, migrate.stderr
    assert "up to date" in migrate.stdout
    backup = pod.run("db", "backup", str(pod.data / "backup.db"))
    assert backup.returncode == 0, backup.stderr
    assert "integrity ok" in backup.stdout
    assert (pod.data / "backup.db").stat().st_size > 0
    # The guide writes it as a module call; the image's python finds the same package.
    as_module = subprocess.run(pod.wrap([sys.executable, "-m", "malwar", "db", "migrate"]), env=pod.env,
                               cwd=pod.cwd, capture_output=True, text=True, timeout=120)
    assert as_module.returncode == 0, as_module.stderr
    assert "up to date" in as_module.stdout


def test_sigterm_stops_cleanly(server: tuple[str, subprocess.Popen[str]]) -> None:
    _, proc = server
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_without_a_key_serve_starts_closed(render, pod: Pod) -> None:  # type: ignore[no-untyped-def]
    """A default install (`malwar.apiKeys: []`): the pod becomes ready but refuses the API with 401,
    says so loudly, and `kubectl exec deploy/malwar -- malwar keys create` opens it without a restart."""
    manifests = render({"malwar": {"dbPath": str(pod.data / "nokey.db")}})
    _, image_env = dockerfile_runtime()
    env = {**image_env, **pod_env(manifests), "PATH": pod.env["PATH"], "HOME": str(pod.tmp), "TMPDIR": str(pod.tmp)}
    assert not env.get("MALWAR_API_KEYS")
    args = list(container(manifests)["args"])
    assert args[args.index("--host") + 1] == "0.0.0.0", "the pod listens beyond loopback"
    port = free_port()
    args[args.index("--port") + 1] = str(port)
    url = f"http://127.0.0.1:{port}"
    log = (pod.tmp.parent / "nokey.log").open("w+")
    proc = subprocess.Popen(pod.wrap([pod.command[0], *args]), env=env, cwd=pod.cwd, stdout=log,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"malwar serve exited with {proc.returncode}"
            try:
                if httpx.get(f"{url}/api/v1/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the pod never became ready"
            time.sleep(0.2)
        log.seek(0)
        errors = [json.loads(line) for line in log.read().splitlines() if '"level": "error"' in line]
        assert len(errors) == 1 and "NO API KEY IS CONFIGURED" in errors[0]["message"]
        assert "malwar keys create" in errors[0]["message"] and "MALWAR_ALLOW_OPEN" in errors[0]["message"]
        assert httpx.get(f"{url}/api/v1/health").status_code == 200
        body = {"file_name": "SKILL.md", "content": DROPPER.read_text()}
        assert httpx.post(f"{url}/api/v1/scan", json=body).status_code == 401

        # `kubectl exec deploy/malwar -- malwar keys create`: same env (so the same database), no restart.
        created = dataclasses.replace(pod, env=env).run("keys", "create", "--role", "admin")
        assert created.returncode == 0, created.stderr
        response = httpx.post(f"{url}/api/v1/scan", json=body, headers={"X-API-Key": created.stdout.strip()})
        assert response.status_code == 201, response.text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
