"""Every rule's own examples are its first tests: each `matches` fires, each `ignores` stays quiet.

A quiet rule may still report a downgraded "documented-example" finding (a
warning that quotes an attack), but never a full-strength one.
"""

from __future__ import annotations

import pytest

from malwar.models import Category, Confidence, Severity
from malwar.rules import Rule, all_rules
from malwar.rules.base import DOC_SECTIONS
from tests.conftest import skill_from_example

RULES = all_rules()


def _cases(kind: str) -> list[tuple[type[Rule], int]]:
    return [(cls, i) for cls in RULES for i in range(len(getattr(cls, kind)))]


def _ids(case: tuple[type[Rule], int]) -> str:
    return f"{case[0].id}-{case[1]}"


def test_enough_rules_are_registered() -> None:
    assert len(RULES) >= 40


@pytest.mark.parametrize("cls", RULES, ids=lambda c: c.id)
def test_rule_is_documented_and_well_formed(cls: type[Rule]) -> None:
    assert cls.id.startswith("MW-") and len(cls.id) == 7
    assert cls.name and cls.name == cls.name.lower() and " " not in cls.name
    assert cls.title
    assert isinstance(cls.category, Category)
    assert isinstance(cls.severity, Severity)
    assert isinstance(cls.confidence, Confidence)
    assert all(k == k.lower() for k in cls.keywords), "keywords are matched against lower-case text"
    sections = cls.doc_sections()
    for name in DOC_SECTIONS:
        assert sections.get(name), f"{cls.id} docstring lacks a '{name}:' section"
    assert len(cls.matches) >= 1, f"{cls.id} has no `matches` example"
    assert len(cls.ignores) >= 1, f"{cls.id} has no `ignores` example"


def test_rule_names_are_unique() -> None:
    names = [cls.name for cls in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", _cases("matches"), ids=_ids)
def test_matches_fire(case: tuple[type[Rule], int], scanner) -> None:  # type: ignore[no-untyped-def]
    cls, i = case
    result = scanner.scan_skill(skill_from_example(cls.matches[i]))
    hits = [f for f in result.findings if f.rule_id == cls.id]
    assert hits, f"{cls.id} did not fire on its matches[{i}] example"


@pytest.mark.parametrize("case", _cases("ignores"), ids=_ids)
def test_ignores_stay_quiet(case: tuple[type[Rule], int], scanner) -> None:  # type: ignore[no-untyped-def]
    cls, i = case
    result = scanner.scan_skill(skill_from_example(cls.ignores[i]))
    loud = [f for f in result.findings if f.rule_id == cls.id and f.context != "documented-example"]
    assert not loud, f"{cls.id} fired on its ignores[{i}] example: {loud[0].evidence!r}"
