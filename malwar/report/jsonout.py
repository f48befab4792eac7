"""The JSON report. Its shape is documented in docs/json-output.md; other tools read it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from malwar import __version__
from malwar.models import Finding, ScanResult, Verdict

HELP_URI = "https://github.com/malwar-dev/malwar/blob/main/docs/rules/{id}.md"


def finding_to_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "title": f.title,
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "category": f.category.value,
        "file": f.file,
        "line": f.line,
        "end_line": f.end_line,
        "evidence": f.evidence,
        "fingerprint": f.fingerprint,
        "help_uri": HELP_URI.format(id=f.rule_id),
    }
    if f.layer:
        out["layer"] = f.layer
    if f.context:
        out["context"] = f.context
    if f.campaign:
        out["campaign"] = f.campaign
    if f.suppression is not None:
        out["suppressed"] = {"reason": f.suppression.reason, "source": f.suppression.source,
                             "expires": f.suppression.expires}
    return out


def result_to_dict(r: ScanResult) -> dict[str, Any]:
    return {
        "target": r.target,
        "sha256": r.sha256,
        "verdict": r.verdict.value,
        "risk_score": r.risk_score,
        "files": r.file_count,
        "bytes": r.byte_count,
        "findings": [finding_to_dict(f) for f in r.findings],
        "errors": list(r.errors),
    }


def render_json(results: Sequence[ScanResult], intel_version: str = "") -> str:
    counts = {v.value: 0 for v in Verdict}
    for r in results:
        counts[r.verdict.value] += 1
    doc = {
        "tool": {"name": "malwar", "version": __version__, "intel_version": intel_version},
        "summary": {"skills": len(results), "verdicts": counts},
        "results": [result_to_dict(r) for r in results],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
