"""The one place that chains the stages: ingest → parse → detect → score → verdict.

The CLI and the API are thin shells over ``Scanner``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from malwar.detect import Detector
from malwar.ingest import InputError, discover, load_text
from malwar.intel import IntelIndex
from malwar.models import Category, Confidence, Finding, ScanResult, Severity, Skill
from malwar.parse import parse_skill
from malwar.score import decide, risk_score
from malwar.settings import ScanLimits
from malwar.suppress import Baseline


@dataclass(frozen=True, slots=True)
class ScanOptions:
    limits: ScanLimits = field(default_factory=ScanLimits)
    baseline: Baseline | None = None


class Scanner:
    """A ready-to-use engine: rules instantiated once, reused for every skill."""

    def __init__(self, options: ScanOptions | None = None, intel: IntelIndex | None = None):
        self.options = options or ScanOptions()
        self.detector = Detector(intel)

    @property
    def intel(self) -> IntelIndex:
        return self.detector.intel

    def scan_skill(self, skill: Skill) -> ScanResult:
        errors = [f"{i.path}: {i.detail}" for i in skill.issues if i.reason == "unreadable"]
        try:
            docs = parse_skill(skill, self.options.limits)
            findings, rule_errors = self.detector.detect(skill, docs)
            if rule_errors:
                errors.extend(rule_errors)
                findings = sorted([*findings, _analysis_error(rule_errors[0])], key=lambda f: f.sort_key)
        except (RecursionError, MemoryError, ValueError) as exc:
            # Never a silent pass: an analysis failure is itself a finding.
            errors.append(f"analysis failed: {type(exc).__name__}: {exc}")
            findings = [_analysis_error(str(exc))]
        if self.options.baseline is not None:
            findings = self.options.baseline.apply(findings)
        score = risk_score(findings)
        return ScanResult(
            target=skill.target, sha256=skill.sha256, verdict=decide(score), risk_score=score,
            findings=tuple(findings), errors=tuple(errors), file_count=len(skill.files),
            byte_count=sum(len(f.data) for f in skill.files),
        )

    def scan_text(self, text: str | bytes, file_name: str = "SKILL.md", target: str | None = None) -> ScanResult:
        return self.scan_skill(load_text(text, file_name, target, self.options.limits))

    def scan_target(self, target: str) -> Iterator[ScanResult]:
        for skill in discover(target, self.options.limits):
            yield self.scan_skill(skill)


def _analysis_error(detail: str) -> Finding:
    return Finding(
        rule_id="MW-0000", rule_name="analysis-error", title="Analysis failed; coverage incomplete",
        severity=Severity.MEDIUM, confidence=Confidence.HIGH, category=Category.COVERAGE,
        file="", line=0, end_line=0, evidence=detail[:200], fingerprint="analysis-error",
    )


# -- many skills, many cores --------------------------------------------------------
_WORKER: Scanner | None = None


def _init_worker(options: ScanOptions) -> None:
    global _WORKER
    _WORKER = Scanner(options)


def _scan_one(target: str) -> list[ScanResult] | str:
    assert _WORKER is not None
    try:
        return list(_WORKER.scan_target(target))
    except InputError as exc:
        return str(exc)


def expand_targets(targets: Sequence[str]) -> list[str]:
    """Split folder-of-skills targets into one work item per skill, keeping the given order."""
    from pathlib import Path

    from malwar.ingest.discover import _is_skill_dir, _skill_roots

    items: list[str] = []
    for target in targets:
        path = Path(target)
        if target != "-" and path.is_dir() and not _is_skill_dir(path):
            roots = list(_skill_roots(path))
            if roots:
                for root in roots:
                    rel = root.relative_to(path).as_posix()
                    items.append(str(path / rel) if rel != "." else target)
                continue
        items.append(target)
    return items


def scan_many(
    targets: Sequence[str],
    options: ScanOptions,
    jobs: int | None = None,
    on_result: Callable[[int, int], None] | None = None,
) -> Iterator[ScanResult | InputError]:
    """Scan every skill under ``targets``, in parallel, yielding results in target order."""
    items = expand_targets(targets)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(items)))
    total = len(items)
    if jobs == 1 or total < 8:
        scanner = Scanner(options)
        for i, item in enumerate(items, 1):
            try:
                yield from scanner.scan_target(item)
            except InputError as exc:
                yield exc
            if on_result:
                on_result(i, total)
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(options,)) as pool:
        chunk = max(1, min(32, total // (jobs * 8)))
        for i, out in enumerate(pool.imap(_scan_one, items, chunksize=chunk), 1):
            if isinstance(out, str):
                yield InputError(out)
            else:
                yield from out
            if on_result:
                on_result(i, total)
