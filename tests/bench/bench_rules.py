"""Per-rule CPU cost over a corpus: where the scan time goes.

    python -m tests.bench.bench_rules ../shared/corpus [--top 20]

Parses every skill once, then times each rule alone over all parsed documents.
A rule should cost well under 0.1 s of CPU over ~1,800 skills; the budget for
the whole engine is set by bench_scan (>= 400 skills/s end to end on 2 cores).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from malwar.ingest import discover
from malwar.parse import parse_skill
from malwar.pipeline import Scanner, expand_targets
from malwar.settings import ScanLimits


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.bench.bench_rules CORPUS_DIR [--top N]", file=sys.stderr)
        return 2
    root = Path(argv[0])
    skills_dir = root / "skills" if (root / "skills").is_dir() else root
    top = int(argv[argv.index("--top") + 1]) if "--top" in argv else 20
    limits = ScanLimits()
    t = time.process_time()
    skills = [sk for item in expand_targets([str(skills_dir)]) for sk in discover(item, limits)]
    ingest = time.process_time() - t
    t = time.process_time()
    docsets = [parse_skill(sk, limits) for sk in skills]
    parse = time.process_time() - t
    scanner = Scanner()
    t = time.process_time()
    for docs in docsets:
        for doc in docs:
            doc.keyword_index = scanner.detector.keyword_index
            _ = doc._indexed  # the one shared keyword pass per document
    index = time.process_time() - t
    costs: list[tuple[float, str]] = []
    for rule in scanner.detector.rules:
        t = time.process_time()
        for sk, docs in zip(skills, docsets, strict=True):
            if rule.skill_level:
                list(rule.check_skill(sk, docs))
                continue
            for doc in docs:
                if rule.applies_to(doc):
                    list(rule.check(doc))
        costs.append((time.process_time() - t, f"{rule.id} {rule.name}"))
    costs.sort(reverse=True)
    print(f"{len(skills)} skills: ingest {ingest:.2f} s, parse {parse:.2f} s, keyword index {index:.2f} s, "
          f"rules {sum(c for c, _ in costs):.2f} s CPU")
    for cost, name in costs[:top]:
        print(f"  {cost:6.3f} s  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
