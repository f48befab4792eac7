"""The event body: a summary of the stored scan and where to fetch the whole of it."""

from __future__ import annotations

from typing import Any

import msgspec

EVENT_TYPE = "scan.completed"
MAX_FINDINGS = 20


def scan_event(document: dict[str, Any], event_id: str) -> bytes:
    """The exact bytes POSTed (and signed) for one stored scan; identical on every retry."""
    result = document["result"]
    findings = [
        {k: f[k] for k in ("rule_id", "title", "severity", "confidence", "file", "line")}
        for f in result["findings"] if "suppressed" not in f
    ]
    body = {
        "type": EVENT_TYPE,
        "id": event_id,
        "created_at": document["created_at"],
        "data": {
            "scan_id": document["id"],
            "url": f"/api/v1/scans/{document['id']}",
            "target": result["target"],
            "sha256": result["sha256"],
            "verdict": result["verdict"],
            "risk_score": result["risk_score"],
            "finding_count": len(findings),
            "findings": findings[:MAX_FINDINGS],
            "previous_scan_id": document["previous_scan_id"],
        },
    }
    return msgspec.json.encode(body)
