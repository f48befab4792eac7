"""No pattern may backtrack: 10 MB of near-matches for every rule must scan in < 5 s, < 300 MB.

    python -m tests.bench.bench_adversarial

The input is built from every rule's own `matches` examples: each example cut
short at many points (so patterns start matching and then fail), repeated on
long lines and on many lines, plus classic regex killers (long runs of one
character class, unclosed comments and fences, endless base64, nested encodings).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from malwar.rules import all_rules
from tests.bench._util import run_malwar, verdict

SIZE = 10 * 1024 * 1024
TARGET_SECONDS = 5.0
TARGET_RSS_MIB = 300.0


def _example_texts() -> list[str]:
    texts: list[str] = []
    for cls in all_rules():
        for ex in cls.matches:
            if isinstance(ex, str):
                texts.append(ex)
            else:
                texts.extend(v for v in ex.values() if isinstance(v, str))
    return texts


def near_misses() -> list[str]:
    """Every example truncated at several points: the prefixes patterns start on and then fail."""
    out = []
    for text in _example_texts():
        flat = text.replace("\n", " ")
        for cut in (0.25, 0.5, 0.75, 0.9):
            piece = flat[: max(1, int(len(flat) * cut))]
            out.append(piece)
        # Drop one character in the middle as well: nearly the whole match, then a miss.
        mid = len(flat) // 2
        out.append(flat[:mid] + flat[mid + 1:])
    return out


KILLERS = [
    " " * 4096, "\t" * 4096, "a" * 8192, "A1b2" * 4096, "=" * 4096, "`" * 4096, "[" * 4096,
    "<!--" * 2048, "```" * 1024, "\\x4" * 4096, "%4" * 4096, "../" * 2048, "http://" * 1024,
    "curl " * 1024, "| " * 2048, "$(" * 2048, "ignore " * 1024, "~/." * 2048, "0." * 4096,
    "\u200b" * 4096, "\u202e" * 1024, "\U000e0041" * 2048, "€" * 4096,
]


def build(single_line: bool) -> str:
    pieces = near_misses() + KILLERS
    sep = " " if single_line else "\n"
    chunk = sep.join(pieces)
    parts = ["---\nname: adversarial\ndescription: x\n---\n"]
    total = 0
    while total < SIZE:
        parts.append(chunk)
        parts.append(sep)
        total += len(chunk.encode("utf-8")) + 1
    return "".join(parts)


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for single in (False, True):
            skill = Path(tmp) / ("one-line" if single else "many-lines")
            skill.mkdir()
            data = build(single).encode("utf-8")[:SIZE]
            (skill / "SKILL.md").write_bytes(data)
            run = run_malwar(["scan", str(skill), "--format", "json", "-o", str(Path(tmp) / "r.json"),
                              "--fail-on", "never", "--no-progress"])
            label = "one 10 MB line" if single else "10 MB of lines"
            print(f"{label}: {len(data) / 2**20:.1f} MiB in {run.seconds:.2f} s, peak RSS {run.peak_rss_mib:.0f} MiB, "
                  f"exit {run.returncode}")
            if run.returncode != 0:
                print(run.stderr[-2000:], file=sys.stderr)
            good = run.returncode == 0 and run.seconds < TARGET_SECONDS and run.peak_rss_mib < TARGET_RSS_MIB
            print(verdict(good, f"{label}: < {TARGET_SECONDS:.0f} s and < {TARGET_RSS_MIB:.0f} MiB"))
            ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
