"""Score the scanner on a labelled corpus (``manifest.csv``: id,path,label,source,family,origin)."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from malwar.models import ScanResult, Verdict
from malwar.pipeline import ScanOptions, scan_many

REQUIRED_COLUMNS = ("id", "path", "label", "source")


class ManifestError(ValueError):
    """The manifest is missing, unreadable or lacks the required columns."""


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    path: Path
    label: str  # "malicious" | "benign"
    source: str
    family: str


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    malicious_verdicts: int = 0
    errors: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def add(self, sample: Sample, verdict: Verdict | None, threshold: Verdict) -> None:
        detected = verdict is not None and verdict.at_least(threshold)
        if verdict is None:
            self.errors += 1
        if sample.label == "malicious":
            if detected:
                self.tp += 1
            else:
                self.fn += 1
                self.missed.append(sample.id)
            if verdict is Verdict.MALICIOUS:
                self.malicious_verdicts += 1
        elif detected:
            self.fp += 1
            self.false_alarms.append(sample.id)
        else:
            self.tn += 1

    def as_dict(self) -> dict[str, object]:
        pos, neg = self.tp + self.fn, self.fp + self.tn
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        recall = self.tp / pos if pos else None
        f1 = (2 * precision * recall / (precision + recall)
              if precision is not None and recall is not None and precision + recall else None)
        return {
            "tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn,
            "precision": precision, "recall": recall, "f1": f1,
            "fpr": self.fp / neg if neg else None,
            "recall_ci95": wilson(self.tp, pos), "fpr_ci95": wilson(self.fp, neg),
            "precision_ci95": wilson(self.tp, self.tp + self.fp),
            "malicious_verdict_rate": self.malicious_verdicts / pos if pos else None,
            "errors": self.errors,
            "missed": sorted(self.missed), "false_alarms": sorted(self.false_alarms),
        }


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def read_manifest(path: str | Path) -> list[Sample]:
    manifest = Path(path)
    try:
        with manifest.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ManifestError(f"{manifest}: missing column(s): {', '.join(missing)}")
            rows = list(reader)
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {manifest}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"manifest {manifest} is not valid CSV: {exc}") from exc
    base = manifest.parent
    samples = []
    for i, row in enumerate(rows, 2):
        label = (row.get("label") or "").strip().lower()
        if label not in ("malicious", "benign"):
            raise ManifestError(f"{manifest}:{i}: label must be 'malicious' or 'benign', not {label!r}")
        samples.append(Sample(row["id"], base / row["path"], label, row["source"] or "-",
                              row.get("family") or ""))
    return samples


@dataclass
class Evaluation:
    threshold: Verdict
    by_source: dict[str, Counts]
    overall: Counts

    def as_dict(self) -> dict[str, object]:
        return {
            "detected_at": self.threshold.value,
            "overall": self.overall.as_dict(),
            "sources": {k: v.as_dict() for k, v in sorted(self.by_source.items())},
        }


def _results_by_sample(samples: list[Sample], options: ScanOptions, jobs: int | None,
                       progress: Callable[[int, int], None] | None) -> Iterator[tuple[Sample, Verdict | None]]:
    # One sample folder is one skill: scan each as a whole, in manifest order.
    targets = [str(s.path) for s in samples]
    out: dict[str, Verdict] = {}
    for item in scan_many(targets, options, jobs=jobs, on_result=progress):
        if isinstance(item, ScanResult):
            out[item.target] = item.verdict
    for s in samples:
        verdict = out.get(str(s.path))
        if verdict is None:
            # A folder without SKILL.md at its root may produce results for nested skills.
            nested = [v for t, v in out.items() if t.startswith(str(s.path) + "/")]
            verdict = max(nested, key=lambda v: v.rank) if nested else None
        yield s, verdict


def evaluate(manifest: str | Path, options: ScanOptions | None = None, jobs: int | None = None,
             threshold: Verdict = Verdict.SUSPICIOUS,
             progress: Callable[[int, int], None] | None = None) -> Evaluation:
    samples = read_manifest(manifest)
    by_source: dict[str, Counts] = {}
    overall = Counts()
    for sample, verdict in _results_by_sample(samples, options or ScanOptions(), jobs, progress):
        by_source.setdefault(sample.source, Counts()).add(sample, verdict, threshold)
        overall.add(sample, verdict, threshold)
    return Evaluation(threshold, by_source, overall)
