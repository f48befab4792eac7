"""Our synthetic skills, one per technique and per benign look-alike.

Each fixture is a folder under tests/fixtures/skills/; its expectations live
beside it in ``<name>.expected.json`` (never inside the sample, where the rules
would read them):

    {"verdict_at_least": "suspicious", "verdict_at_most": "malicious",
     "rules": ["MW-0101"], "absent_rules": ["MW-0301"]}

Every key is optional.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from malwar.models import Verdict
from tests.conftest import FIXTURES

SKILLS = FIXTURES / "skills"
CASES = sorted(p for p in SKILLS.glob("*.expected.json"))


def test_there_are_fixtures() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("expected_file", CASES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_fixture_skill(expected_file: Path, scanner) -> None:  # type: ignore[no-untyped-def]
    expected = json.loads(expected_file.read_text("utf-8"))
    target = SKILLS / expected_file.name.removesuffix(".expected.json")
    assert target.exists(), f"no sample beside {expected_file.name}"
    results = list(scanner.scan_target(str(target)))
    assert len(results) == 1
    result = results[0]
    fired = {f.rule_id for f in result.active_findings if f.context != "documented-example"}
    summary = f"verdict={result.verdict.value} score={result.risk_score} rules={sorted(fired)}"
    if "verdict_at_least" in expected:
        assert result.verdict.at_least(Verdict(expected["verdict_at_least"])), summary
    if "verdict_at_most" in expected:
        assert Verdict(expected["verdict_at_most"]).at_least(result.verdict), summary
    for rule_id in expected.get("rules", []):
        assert rule_id in fired, f"{rule_id} expected; {summary}"
    for rule_id in expected.get("absent_rules", []):
        assert rule_id not in fired, f"{rule_id} must not fire; {summary}"
