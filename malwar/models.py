"""Frozen value types shared by every stage of the pipeline.

Nothing here does I/O or imports another malwar module: the stages depend on
these types, never the other way round.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum, IntEnum


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Confidence(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Verdict(str, Enum):
    CLEAN = "clean"
    CAUTION = "caution"
    SUSPICIOUS = "suspicious"
    MALICIOUS = "malicious"

    @property
    def rank(self) -> int:
        return _VERDICT_ORDER.index(self)

    def at_least(self, other: Verdict) -> bool:
        return self.rank >= other.rank


_VERDICT_ORDER = [Verdict.CLEAN, Verdict.CAUTION, Verdict.SUSPICIOUS, Verdict.MALICIOUS]


class Category(str, Enum):
    EXECUTION = "execution"
    OBFUSCATION = "obfuscation"
    PROMPT_INJECTION = "prompt-injection"
    CREDENTIAL_ACCESS = "credential-access"
    EXFILTRATION = "exfiltration"
    PERSISTENCE = "persistence"
    PRIVILEGE = "privilege"
    SUPPLY_CHAIN = "supply-chain"
    FINANCIAL = "financial"
    EVASION = "evasion"
    THREAT_INTEL = "threat-intel"
    SECRETS = "secrets"
    COVERAGE = "coverage"


class FileKind(str, Enum):
    MARKDOWN = "markdown"
    SCRIPT = "script"
    TEXT = "text"
    BINARY = "binary"
    EXECUTABLE = "executable"
    BYTECODE = "bytecode"
    ARCHIVE = "archive"


@dataclass(frozen=True, slots=True)
class SkillFile:
    """One file of a skill, as bytes, with where it came from."""

    path: str  # posix path relative to the skill root; archive members are "a.zip!inner/x.sh"
    data: bytes
    kind: FileKind
    language: str  # "markdown", "shell", "python", "javascript", "powershell", "text", ...
    size: int  # size on disk / in the archive before any truncation
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class IngestIssue:
    """Something the ingest stage could not fully read; becomes a coverage finding."""

    path: str
    reason: str  # machine-readable: "too-large", "too-many-files", "archive-bomb", ...
    detail: str


@dataclass(frozen=True, slots=True)
class Skill:
    target: str
    files: tuple[SkillFile, ...]
    issues: tuple[IngestIssue, ...] = ()

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.path):
            h.update(f.path.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
            h.update(hashlib.sha256(f.data).digest())
        return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Suppression:
    reason: str
    source: str  # where the operator recorded it, e.g. "baseline:ops/baseline.json"
    expires: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_name: str
    title: str
    severity: Severity
    confidence: Confidence
    category: Category
    file: str
    line: int
    end_line: int
    evidence: str
    fingerprint: str
    layer: str | None = None  # decoding chain the evidence came from, e.g. "base64>hex"
    campaign: str | None = None
    context: str | None = None  # e.g. "documented-example", "install-step"
    suppression: Suppression | None = None

    @property
    def sort_key(self) -> tuple[object, ...]:
        return (self.file, self.line, self.rule_id, self.evidence, self.layer or "")


@dataclass(frozen=True, slots=True)
class ScanResult:
    target: str
    sha256: str
    verdict: Verdict
    risk_score: int
    findings: tuple[Finding, ...]
    errors: tuple[str, ...] = ()
    file_count: int = 0
    byte_count: int = 0

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppression is None)


@dataclass(frozen=True, slots=True)
class ScanReport:
    results: tuple[ScanResult, ...] = field(default_factory=tuple)
