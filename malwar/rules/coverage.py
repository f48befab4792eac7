"""Coverage: what the scanner could not read is reported, never passed silently."""

from __future__ import annotations

from collections.abc import Iterator

from malwar.models import Category, Confidence, Severity, Skill
from malwar.parse.document import Document
from malwar.rules.base import Hit, Rule


class CoverageIncomplete(Rule):
    """Part of the skill could not be analysed.

    What:
        A file over the size limit, more files than the limit, an archive
        that is corrupt, too deep, a decompression bomb or in a format that
        cannot be opened, or a symbolic link.

    Why:
        Padding a skill until the scanner gives up is an evasion technique. A
        scanner that silently skips what it cannot read gives attackers a
        place to hide; this finding says exactly what was not covered.

    Example:
        A 40 MB ``notes.md`` of whitespace with a payload at the end.

    Benign look-alike:
        Large generated reference files; these stay at a low weight so that
        only corroborated findings change the verdict.
    """

    id = "MW-0901"
    name = "coverage-incomplete"
    title = "Coverage incomplete: part of the skill was not analysed"
    category = Category.COVERAGE
    severity = Severity.LOW
    confidence = Confidence.HIGH
    skill_level = True
    context_sensitive = False
    _REASONS = ("too-large", "too-many-files", "archive-unreadable", "archive-too-deep",
                "archive-too-many-members", "archive-opaque", "symlink", "unreadable")
    matches = ({"SKILL.md": "# Tool\n", "big.zip": b"PK\x03\x04garbage-not-a-zip"},)
    ignores = ("# A small, complete skill\n\nIt reads files.\n",)

    def check_skill(self, skill: Skill, docs: list[Document]) -> Iterator[Hit]:
        for issue in skill.issues:
            if issue.reason in self._REASONS:
                sev = Severity.MEDIUM if issue.reason in ("too-large", "too-many-files") else None
                yield Hit(0, f"{issue.reason}: {issue.detail}", file=issue.path, severity=sev)
