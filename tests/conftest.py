"""Shared fixtures: a real scanner, and helpers to build skills from text."""

from __future__ import annotations

from pathlib import Path

import pytest

from malwar.ingest.discover import make_file
from malwar.models import FileKind, Skill
from malwar.pipeline import Scanner
from malwar.settings import ScanLimits

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    return Scanner()


def skill_from_example(example: str | dict[str, str | bytes], target: str = "example") -> Skill:
    """A rule example as a Skill: a string is a SKILL.md, a dict maps paths to contents."""
    files = {"SKILL.md": example} if isinstance(example, str) else example
    limits = ScanLimits()
    issues: list = []
    out = []
    for path, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        out.extend(make_file(path, data, len(data), limits, issues))
    return Skill(target, tuple(out), tuple(issues))


__all__ = ["FIXTURES", "FileKind", "skill_from_example"]
