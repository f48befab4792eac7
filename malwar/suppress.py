"""Operator-owned suppressions: a baseline file of finding fingerprints, each with a reason.

Nothing inside a scanned skill can suppress anything; only this file (written
by ``malwar baseline create`` and reviewed by a person) can. Suppressed
findings stay in every report, marked as suppressed, and do not count towards
the risk score.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from malwar import __version__
from malwar.models import Finding, ScanResult, Suppression

FORMAT = 1


class BaselineError(ValueError):
    """The baseline file is missing, unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    rule_id: str
    file: str
    evidence: str
    reason: str
    expires: str | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and dt.date.fromisoformat(self.expires) < today


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: dict[str, BaselineEntry]
    source: str

    def apply(self, findings: Iterable[Finding], today: dt.date | None = None) -> list[Finding]:
        today = today or dt.date.today()
        out = []
        for f in findings:
            entry = self.entries.get(f.fingerprint)
            if entry is not None and entry.rule_id == f.rule_id and not entry.expired(today):
                f = replace(f, suppression=Suppression(entry.reason, self.source, entry.expires))
            out.append(f)
        return out


def _check_date(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BaselineError(f"{where}: 'expires' must be a YYYY-MM-DD string")
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BaselineError(f"{where}: 'expires' is not a date: {value!r}") from exc
    return value


def load_baseline(path: str | Path) -> Baseline:
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {p}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {p} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise BaselineError(f"baseline {p} has no 'entries' list")
    entries: dict[str, BaselineEntry] = {}
    for i, item in enumerate(data["entries"]):
        where = f"baseline {p}, entry {i}"
        if not isinstance(item, dict):
            raise BaselineError(f"{where}: not an object")
        fp, rule, reason = item.get("fingerprint"), item.get("rule_id"), item.get("reason")
        if not (isinstance(fp, str) and fp and isinstance(rule, str) and rule and isinstance(reason, str) and reason):
            raise BaselineError(f"{where}: needs non-empty 'fingerprint', 'rule_id' and 'reason'")
        entries[fp] = BaselineEntry(fp, rule, str(item.get("file", "")), str(item.get("evidence", "")),
                                    reason, _check_date(item.get("expires"), where))
    return Baseline(entries, f"baseline:{p}")


def build_baseline(results: Iterable[ScanResult], reason: str, expires: str | None = None) -> dict[str, object]:
    """A baseline document accepting every active finding of ``results``."""
    if not reason.strip():
        raise BaselineError("a baseline needs a reason")
    _check_date(expires, "--expires")
    entries = []
    for result in results:
        for f in result.active_findings:
            entry: dict[str, object] = {
                "fingerprint": f.fingerprint, "rule_id": f.rule_id, "target": result.target,
                "file": f.file, "evidence": f.evidence, "reason": reason,
            }
            if expires:
                entry["expires"] = expires
            entries.append(entry)
    entries.sort(key=lambda e: (str(e["target"]), str(e["file"]), str(e["rule_id"]), str(e["fingerprint"])))
    return {"format": FORMAT, "generated_by": f"malwar {__version__}", "entries": entries}
