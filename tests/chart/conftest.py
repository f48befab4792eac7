"""Fixtures for the chart and image tests: the real helm binary and a renderer.

helm comes from ./.tools/bin (put there by .ci/fetch-helm.sh, which the nox
test session runs first) or from PATH. Without it these tests fail with the
command to run; a developer may skip them on purpose with
MALWAR_SKIP_HELM_TESTS=1, which CI (CI=true) ignores.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "malwar"
SCENARIOS = {path.name.removesuffix("-values.yaml"): path for path in sorted((CHART / "ci").glob("*-values.yaml"))}
RELEASE = "malwar"
NAMESPACE = "malwar"

Manifests = list[dict[str, Any]]


def find_helm() -> str | None:
    local = ROOT / ".tools" / "bin" / "helm"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("helm")


@pytest.fixture(scope="session")
def helm() -> str:
    path = find_helm()
    if path is None:
        message = "helm not found in ./.tools/bin or on PATH: run `bash .ci/fetch-helm.sh` first"
        if os.environ.get("MALWAR_SKIP_HELM_TESTS") == "1" and os.environ.get("CI") != "true":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    return path


class HelmError(Exception):
    """helm exited non-zero; the message is its stderr."""


def run_helm(helm: str, *args: str) -> str:
    # HELM_* homes in a throwaway place: no dependence on (or writes to) the user's helm config.
    env = {**os.environ, "HELM_CACHE_HOME": "/tmp/malwar-helm/cache",
           "HELM_CONFIG_HOME": "/tmp/malwar-helm/config", "HELM_DATA_HOME": "/tmp/malwar-helm/data"}
    proc = subprocess.run([helm, *args], capture_output=True, text=True, env=env, timeout=120)
    if proc.returncode != 0:
        raise HelmError(proc.stderr.strip())
    return proc.stdout


@pytest.fixture(scope="session")
def render(helm: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Manifests]:
    """``render(values_dict_or_scenario_path, ...)`` -> the manifests of ``helm template``."""
    cache: dict[str, Manifests] = {}
    workdir = tmp_path_factory.mktemp("values")

    def _render(*values: dict[str, Any] | Path, show_tests: bool = True) -> Manifests:
        args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE]
        for i, item in enumerate(values):
            if isinstance(item, Path):
                args += ["-f", str(item)]
            else:
                path = workdir / f"values-{len(cache)}-{i}.yaml"
                path.write_text(yaml.safe_dump(item))
                args += ["-f", str(path)]
        key = repr((values, show_tests))
        if key not in cache:
            out = run_helm(helm, *args)
            docs = [doc for doc in yaml.safe_load_all(out) if doc]
            cache[key] = docs if show_tests else [d for d in docs if not _is_test(d)]
        return cache[key]

    return _render


def _is_test(doc: dict[str, Any]) -> bool:
    return doc.get("metadata", {}).get("annotations", {}).get("helm.sh/hook") == "test"


def one(manifests: Manifests, kind: str, *, test: bool = False) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and _is_test(m) == test]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def kinds(manifests: Manifests) -> list[str]:
    return sorted(m["kind"] for m in manifests if not _is_test(m))


def container(manifests):  # type: ignore[no-untyped-def]
    [c] = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    return c


def pod_env(manifests) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The MALWAR_* environment a pod gets: ConfigMap, chart Secret, then explicit env."""
    env: dict[str, str] = {}
    for source in container(manifests)["envFrom"]:
        if "configMapRef" in source:
            env.update(one(manifests, "ConfigMap")["data"])
        elif "secretRef" in source:
            secrets = [m for m in manifests if m["kind"] == "Secret"
                       and m["metadata"]["name"] == source["secretRef"]["name"]]
            for secret in secrets:
                env.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
    env.update({e["name"]: e["value"] for e in container(manifests)["env"] if "value" in e})
    return env
