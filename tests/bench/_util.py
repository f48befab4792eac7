"""Helpers shared by the benchmarks: run a command, time it, read peak RSS of its process tree."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    returncode: int
    stderr: str


def run_malwar(args: list[str], timeout: float = 600) -> Run:
    """Run ``python -m malwar ARGS`` as a fresh process: start-up is part of what we measure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "malwar", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest single descendant (KiB on Linux).
    return Run(seconds, max(after, before) / 1024, proc.returncode, proc.stderr)


def verdict(ok: bool, label: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {label}"
