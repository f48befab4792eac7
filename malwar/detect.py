"""Detect: run every rule over a parsed skill and turn hits into findings.

Context is applied here, once, for every rule: a hit inside a warning or a
documented attack example is downgraded (never dropped: "do not skip this step"
is how droppers talk too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import islice

from malwar.intel import IntelIndex
from malwar.models import Confidence, Finding, Severity, Skill
from malwar.parse.document import Document
from malwar.parse.keywords import KeywordIndex
from malwar.rules import Hit, Rule, all_rules
from malwar.rules.base import index_words

HELP_URI = "https://malwar.readthedocs.io/en/latest/rules/{id}/"
_EVIDENCE_MAX = 200
MAX_HITS = 25  # per rule, per document


def clean_evidence(text: str) -> str:
    """One printable line: control and invisible characters shown as escapes, length bounded."""
    text = text.strip()
    if len(text) > _EVIDENCE_MAX:
        text = text[: _EVIDENCE_MAX - 1] + "…"
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() and ch not in "\u200b\u200c\u200d\u2060\ufeff":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return "".join(out)


class Detector:
    """Holds one instance of every rule; cheap to reuse across skills."""

    def __init__(self, intel: IntelIndex | None = None, rules: Iterable[type[Rule]] | None = None):
        self.intel = intel if intel is not None else IntelIndex.bundled()
        classes = list(rules) if rules is not None else all_rules()
        self.rules = [cls(self.intel) for cls in classes]
        self.doc_rules = [r for r in self.rules if not r.skill_level]
        self.skill_rules = [r for r in self.rules if r.skill_level]
        self.keyword_index = KeywordIndex(index_words(self.rules))

    def detect(self, skill: Skill, docs: list[Document]) -> tuple[list[Finding], list[str]]:
        """Findings, and the rules that failed (a broken rule never stops the others)."""
        raw: list[tuple[Rule, Hit, Document | None]] = []
        errors: list[str] = []
        for rule in self.skill_rules:
            try:
                raw.extend((rule, hit, None) for hit in rule.check_skill(skill, docs))
            except Exception as exc:
                errors.append(f"rule {rule.id} failed: {type(exc).__name__}: {exc}")
        for doc in docs:
            doc.keyword_index = self.keyword_index
            for rule in self.doc_rules:
                try:
                    if rule.applies_to(doc):
                        # A rule that has fired MAX_HITS times in one file has made its point;
                        # stopping there bounds the work (and the report) on hostile input.
                        raw.extend((rule, hit, doc) for hit in islice(rule.check(doc), MAX_HITS))
                except Exception as exc:
                    errors.append(f"rule {rule.id} failed on {doc.path}: {type(exc).__name__}: {exc}")
        return _to_findings(raw), errors


def _to_findings(raw: list[tuple[Rule, Hit, Document | None]]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, str, int, str | None]] = set()
    occurrences: dict[str, int] = {}
    for rule, hit, doc in raw:
        severity = hit.severity if hit.severity is not None else rule.severity
        confidence = hit.confidence if hit.confidence is not None else rule.confidence
        context = hit.context
        layer = doc.layer if doc is not None else None
        if doc is not None:
            line = doc.origin_line if doc.origin_line is not None else hit.line
            end_line = line if doc.origin_line is not None else (hit.end_line or hit.line)
            file = doc.path
            if rule.context_sensitive and context is None:
                ctx = doc.context(hit.line)
                if ctx.negated:
                    context = "documented-example"
                elif ctx.install_step:
                    context = "install-step"
        else:
            line, end_line, file = hit.line, hit.end_line or hit.line, hit.file or ""
        if context == "documented-example":
            severity = Severity(max(Severity.INFO, severity - 1))
            confidence = Confidence.LOW
        key = (rule.id, file, line, layer)
        if key in seen:
            continue
        seen.add(key)
        evidence = clean_evidence(hit.evidence)
        base = f"{rule.id}\0{file}\0{layer or ''}\0{' '.join(evidence.split()).lower()}"
        n = occurrences.get(base, 0)
        occurrences[base] = n + 1
        fingerprint = hashlib.sha256(f"{base}\0{n}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
        findings.append(Finding(
            rule_id=rule.id, rule_name=rule.name, title=hit.title or rule.title,
            severity=severity, confidence=confidence, category=rule.category,
            file=file, line=line, end_line=max(end_line, line), evidence=evidence,
            fingerprint=fingerprint, layer=layer, campaign=hit.campaign, context=context,
        ))
    findings.sort(key=lambda f: f.sort_key)
    return findings
