"""Score and verdict: findings become a 0-100 risk score and one of four verdicts.

Each finding is worth points by severity, scaled by confidence. Only the
strongest finding of each rule counts (a rule repeating itself is not
corroboration); independent rules combine like independent evidence
(noisy-or), so two medium signals from different techniques outweigh one, and a
single low-confidence signal can never reach ``suspicious``.
"""

from __future__ import annotations

from collections.abc import Iterable

from malwar.models import Confidence, Finding, Severity, Verdict

SEVERITY_POINTS = {
    Severity.CRITICAL: 85.0,
    Severity.HIGH: 45.0,
    Severity.MEDIUM: 20.0,
    Severity.LOW: 8.0,
    Severity.INFO: 0.0,
}
CONFIDENCE_SCALE = {Confidence.HIGH: 1.0, Confidence.MEDIUM: 0.75, Confidence.LOW: 0.4}
THRESHOLDS = ((75, Verdict.MALICIOUS), (40, Verdict.SUSPICIOUS), (15, Verdict.CAUTION))


def finding_points(f: Finding) -> float:
    return SEVERITY_POINTS[f.severity] * CONFIDENCE_SCALE[f.confidence]


def risk_score(findings: Iterable[Finding]) -> int:
    best: dict[str, float] = {}
    for f in findings:
        if f.suppression is not None:
            continue
        p = finding_points(f)
        if p > best.get(f.rule_id, 0.0):
            best[f.rule_id] = p
    remaining = 1.0
    for p in best.values():
        remaining *= 1.0 - min(p, 99.0) / 100.0
    return round(100.0 * (1.0 - remaining))


def decide(score: int) -> Verdict:
    for threshold, verdict in THRESHOLDS:
        if score >= threshold:
            return verdict
    return Verdict.CLEAN
