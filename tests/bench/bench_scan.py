"""Throughput of `malwar scan` over a whole corpus, end to end (process start included).

    python -m tests.bench.bench_scan ../shared/corpus        # or any folder of skills

Target: >= 400 skills/s on a 2-core machine. Reports skills/s, MiB/s and peak RSS.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from tests.bench._util import run_malwar, verdict

TARGET_SKILLS_PER_S = 400.0
TARGET_RSS_MIB = 300.0


def corpus_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.bench.bench_scan CORPUS_DIR", file=sys.stderr)
        return 2
    corpus = Path(argv[0])
    skills_dir = corpus / "skills" if (corpus / "skills").is_dir() else corpus
    if not skills_dir.is_dir():
        print(f"no such corpus folder: {skills_dir}", file=sys.stderr)
        return 2
    size = corpus_bytes(skills_dir)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        args = ["scan", str(skills_dir), "--format", "json", "-o", str(out), "--fail-on", "never",
                "--no-progress"]
        run_malwar(args)  # warm the page cache so the figure measures malwar, not the disk
        runs = [run_malwar(args) for _ in range(3)]
        skills = len(json.loads(out.read_text("utf-8"))["results"])
    best = min(runs, key=lambda r: r.seconds)
    if best.returncode != 0:
        print(best.stderr, file=sys.stderr)
        return 1
    rate = skills / best.seconds
    rss = max(r.peak_rss_mib for r in runs)
    print(f"corpus: {skills} skills, {size / 2**20:.1f} MiB, {os.cpu_count()} cores")
    print(f"wall (best of 3): {best.seconds:.2f} s   all: {', '.join(f'{r.seconds:.2f}' for r in runs)}")
    print(f"throughput: {rate:.0f} skills/s, {size / 2**20 / best.seconds:.1f} MiB/s")
    print(f"peak RSS (largest process): {rss:.0f} MiB")
    ok_rate = rate >= TARGET_SKILLS_PER_S
    ok_rss = rss < TARGET_RSS_MIB
    print(verdict(ok_rate, f"throughput >= {TARGET_SKILLS_PER_S:.0f} skills/s"))
    print(verdict(ok_rss, f"peak RSS < {TARGET_RSS_MIB:.0f} MiB"))
    return 0 if ok_rate and ok_rss else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
