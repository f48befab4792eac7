"""Score and verdict: weak signals alone never convict, independent signals corroborate.

The properties run over arbitrary sets of synthetic findings, so they hold for
any rule set, not only today's.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from malwar.models import Category, Confidence, Finding, Severity, Suppression, Verdict
from malwar.score import THRESHOLDS, decide, finding_points, risk_score

PROPERTY = settings(max_examples=300, deadline=None)


def finding(rule_id: str = "MW-0101", severity: Severity = Severity.HIGH,
            confidence: Confidence = Confidence.HIGH, line: int = 1, suppressed: bool = False) -> Finding:
    return Finding(
        rule_id=rule_id, rule_name=rule_id.lower(), title="t", severity=severity, confidence=confidence,
        category=Category.EXECUTION, file="SKILL.md", line=line, end_line=line, evidence=f"e{line}",
        fingerprint=f"{rule_id}-{line}",
        suppression=Suppression("reviewed", "baseline:test") if suppressed else None,
    )


def verdict(findings: list[Finding]) -> Verdict:
    return decide(risk_score(findings))


FINDINGS = st.builds(
    finding,
    rule_id=st.sampled_from([f"MW-0{n}" for n in range(101, 111)]),
    severity=st.sampled_from(list(Severity)),
    confidence=st.sampled_from(list(Confidence)),
    line=st.integers(1, 500),
    suppressed=st.booleans(),
)
ACTIVE = FINDINGS.map(lambda f: replace(f, suppression=None))


@PROPERTY
@given(severity=st.sampled_from(list(Severity)))
def test_one_low_confidence_finding_never_reaches_suspicious(severity: Severity) -> None:
    assert not verdict([finding(severity=severity, confidence=Confidence.LOW)]).at_least(Verdict.SUSPICIOUS)


@pytest.mark.parametrize("confidence", list(Confidence))
@pytest.mark.parametrize("severity", [Severity.INFO, Severity.LOW, Severity.MEDIUM])
def test_one_medium_or_weaker_finding_never_reaches_suspicious(severity: Severity,
                                                               confidence: Confidence) -> None:
    assert not verdict([finding(severity=severity, confidence=confidence)]).at_least(Verdict.SUSPICIOUS)


def test_info_findings_score_nothing() -> None:
    assert risk_score([finding(f"MW-0{n}", Severity.INFO) for n in range(101, 120)]) == 0


def test_strong_findings_convict_alone() -> None:
    assert verdict([finding(severity=Severity.CRITICAL)]) is Verdict.MALICIOUS
    assert verdict([finding(severity=Severity.HIGH)]) is Verdict.SUSPICIOUS


def test_independent_medium_signals_corroborate() -> None:
    one = [finding("MW-0101", Severity.MEDIUM)]
    three = [finding(f"MW-0{n}", Severity.MEDIUM) for n in (101, 201, 301)]
    assert verdict(one) is Verdict.CAUTION
    assert risk_score(three) > risk_score(one)
    assert verdict(three).at_least(Verdict.SUSPICIOUS)


def test_two_low_confidence_criticals_from_different_rules_corroborate() -> None:
    weak = [finding(f"MW-0{n}", Severity.CRITICAL, Confidence.LOW) for n in (101, 201)]
    assert verdict(weak[:1]) is Verdict.CAUTION
    assert verdict(weak).at_least(Verdict.SUSPICIOUS)


@PROPERTY
@given(base=ACTIVE, copies=st.integers(1, 50))
def test_the_same_rule_repeating_does_not_add_up(base: Finding, copies: int) -> None:
    repeated = [replace(base, line=base.line + i, fingerprint=f"{base.fingerprint}-{i}") for i in range(copies)]
    assert risk_score(repeated) == risk_score([base])


@PROPERTY
@given(findings=st.lists(ACTIVE, max_size=6), extra=ACTIVE)
def test_a_new_rule_never_lowers_the_score(findings: list[Finding], extra: Finding) -> None:
    extra = replace(extra, rule_id="MW-9999")
    before = risk_score(findings)
    after = risk_score([*findings, extra])
    assert after >= before
    if before <= 75 and finding_points(extra) >= 8:
        # A second, independent technique is corroboration (big enough to survive rounding).
        assert after > before


@PROPERTY
@given(findings=st.lists(FINDINGS, max_size=12))
def test_suppressed_findings_do_not_count(findings: list[Finding]) -> None:
    active = [f for f in findings if f.suppression is None]
    assert risk_score(findings) == risk_score(active)


@PROPERTY
@given(findings=st.lists(FINDINGS, max_size=12), seed=st.randoms())
def test_score_is_bounded_and_order_independent(findings: list[Finding], seed) -> None:  # type: ignore[no-untyped-def]
    score = risk_score(findings)
    assert 0 <= score <= 100
    shuffled = list(findings)
    seed.shuffle(shuffled)
    assert risk_score(shuffled) == score


@pytest.mark.parametrize(("score", "expected"), [
    (0, Verdict.CLEAN), (14, Verdict.CLEAN), (15, Verdict.CAUTION), (39, Verdict.CAUTION),
    (40, Verdict.SUSPICIOUS), (74, Verdict.SUSPICIOUS), (75, Verdict.MALICIOUS), (100, Verdict.MALICIOUS),
])
def test_verdict_thresholds(score: int, expected: Verdict) -> None:
    assert decide(score) is expected


def test_thresholds_are_ordered_and_verdicts_monotonic() -> None:
    assert [t for t, _ in THRESHOLDS] == sorted((t for t, _ in THRESHOLDS), reverse=True)
    verdicts = [decide(s) for s in range(101)]
    assert all(b.at_least(a) for a, b in itertools.pairwise(verdicts))
    assert set(verdicts) == set(Verdict)


def test_no_findings_is_clean() -> None:
    assert risk_score([]) == 0 and decide(0) is Verdict.CLEAN
