"""Docs generated from the code (rule pages, rule index, CLI reference) must match the code.

When this fails, run ``python -m malwar.docsgen`` and commit the pages.
"""

from __future__ import annotations

import re

from malwar.docsgen import DOCS, stale_pages
from malwar.report.jsonout import finding_to_dict, result_to_dict


def test_generated_docs_are_fresh() -> None:
    stale = stale_pages()
    assert not stale, "stale generated docs; run `python -m malwar.docsgen`:\n  " + "\n  ".join(stale)


def test_json_output_doc_names_every_field() -> None:
    from malwar.models import (
        Category,
        Confidence,
        Finding,
        ScanResult,
        Severity,
        Suppression,
        Verdict,
    )

    f = Finding("MW-0101", "n", "t", Severity.HIGH, Confidence.HIGH, Category.EXECUTION, "SKILL.md", 1, 1,
                "e", "fp", layer="base64", campaign="c", context="install-step",
                suppression=Suppression("r", "baseline:b"))
    result = ScanResult("t", "0" * 64, Verdict.CLEAN, 0, (f,))
    doc = (DOCS / "json-output.md").read_text("utf-8")
    documented = set(re.findall(r"`([a-z_0-9]+)`", doc))
    assert set(result_to_dict(result)) - documented == set()
    assert set(finding_to_dict(f)) - documented == set()
