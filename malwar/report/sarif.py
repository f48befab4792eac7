"""SARIF 2.1.0: one run, one result per finding, rules described in the driver."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from malwar import __version__
from malwar.models import Finding, ScanResult, Severity
from malwar.report.jsonout import HELP_URI

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this property to rank security results.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0", Severity.INFO: "0.0",
}


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    from malwar.rules import get_rule

    cls = get_rule(rule_id)
    if cls is None:
        return {"id": rule_id, "helpUri": HELP_URI.format(id=rule_id)}
    sections = cls.doc_sections()
    return {
        "id": cls.id,
        "name": cls.name,
        "shortDescription": {"text": cls.title},
        "fullDescription": {"text": sections.get("What") or sections.get("Summary") or cls.title},
        "help": {"text": sections.get("Why") or cls.title},
        "helpUri": HELP_URI.format(id=cls.id),
        "defaultConfiguration": {"level": _LEVEL[cls.severity]},
        "properties": {
            "category": cls.category.value,
            "severity": cls.severity.label,
            "confidence": cls.confidence.label,
            "security-severity": _SECURITY_SEVERITY[cls.severity],
            "tags": ["security", cls.category.value],
        },
    }


def _uri(target: str, file: str) -> str:
    """The artifact's path as the user gave it: the skill folder joined with the file."""
    t = target.replace("\\", "/")
    head = file.split("!", 1)[0]
    if not file:
        path = t
    elif t in ("-", "<stdin>"):
        path = file
    elif PurePosixPath(t).name == head:  # the target was the file itself
        path = t + file[len(head):]
    else:
        path = f"{t.rstrip('/')}/{file}"
    return quote(path, safe="/!:@-._~")


def _result(f: Finding, r: ScanResult, index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(r.target, f.file)}}
    if f.line >= 1:
        location["region"] = {"startLine": f.line, "endLine": max(f.end_line, f.line)}
    message = f"{f.title}: {f.evidence}" if f.evidence else f.title
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"malwarFingerprint/v1": f.fingerprint},
        "properties": {
            "severity": f.severity.label,
            "confidence": f.confidence.label,
            "category": f.category.value,
            "skill": r.target,
            "skillVerdict": r.verdict.value,
            "skillRiskScore": r.risk_score,
        },
    }
    if f.layer:
        out["properties"]["layer"] = f.layer
    if f.context:
        out["properties"]["context"] = f.context
    if f.campaign:
        out["properties"]["campaign"] = f.campaign
    if f.suppression is not None:
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f.suppression.reason}]
    return out


def render_sarif(results: Sequence[ScanResult]) -> str:
    rule_ids = sorted({f.rule_id for r in results for f in r.findings})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    sarif_results = [_result(f, r, index[f.rule_id]) for r in results for f in r.findings]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "malwar",
                "version": __version__,
                "semanticVersion": __version__.split("+")[0],
                "informationUri": "https://github.com/malwar-dev/malwar",
                "rules": [_rule_descriptor(rid) for rid in rule_ids],
            }},
            "columnKind": "unicodeCodePoints",
            "results": sarif_results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
