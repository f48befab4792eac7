"""Request and response types. Litestar builds the OpenAPI document from these structs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

VerdictName = Literal["clean", "caution", "suspicious", "malicious"]
RoleName = Literal["read-only", "scanner", "analyst", "admin"]
IndicatorKind = Literal["ips", "domains", "urls", "url_prefixes", "archive_names", "archive_passwords",
                        "actor_handles", "packages", "sha256"]
FileName = Annotated[str, Meta(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f/\\]+$")]
Target = Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]+$")]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{64}$")]
CampaignId = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class ScanRequest(Struct, forbid_unknown_fields=True):
    """One skill file as text. ``file_name`` decides how it is parsed (SKILL.md, install.sh...)."""

    content: str
    file_name: FileName = "SKILL.md"
    target: Target | None = None


class BatchScanRequest(Struct, forbid_unknown_fields=True):
    items: Annotated[list[ScanRequest], Meta(min_length=1)]


class SuppressedInfo(Struct):
    reason: str
    source: str
    expires: str | None = None


class FindingOut(Struct, omit_defaults=True):
    rule_id: str
    rule_name: str
    title: str
    severity: str
    confidence: str
    category: str
    file: str
    line: int
    end_line: int
    evidence: str
    fingerprint: str
    help_uri: str
    layer: str | None = None
    context: str | None = None
    campaign: str | None = None
    suppressed: SuppressedInfo | None = None


class ResultOut(Struct):
    """The same shape as one entry of ``malwar scan --format json``."""

    target: str
    sha256: str
    verdict: VerdictName
    risk_score: int
    files: int
    bytes: int
    findings: list[FindingOut]
    errors: list[str]


class ScanRecord(Struct):
    """A stored scan: returned by POST /scan and, byte for byte, by GET /scans/{id}."""

    id: int
    created_at: str
    previous_scan_id: int | None
    source: Literal["text", "file", "zip"]
    duration_ms: float
    intel_version: str
    result: ResultOut


class BatchScanResponse(Struct):
    scans: list[ScanRecord]


class ScanSummaryOut(Struct):
    id: int
    created_at: str
    sha256: str
    target: str
    source: str
    verdict: VerdictName
    risk_score: int
    finding_count: int
    duration_ms: float
    previous_scan_id: int | None


class ScanList(Struct):
    items: list[ScanSummaryOut]
    next_cursor: int | None


class RuleOut(Struct):
    id: str
    name: str
    title: str
    category: str
    severity: str
    confidence: str
    preview: bool
    summary: str


class RuleDetail(Struct):
    id: str
    name: str
    title: str
    category: str
    severity: str
    confidence: str
    preview: bool
    sections: dict[str, str]
    references: list[str]
    help_uri: str


class CampaignIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    description: Annotated[str, Meta(max_length=5000)] = ""
    references: Annotated[list[Annotated[str, Meta(max_length=2000)]], Meta(max_length=50)] = msgspec.field(
        default_factory=list)


class CampaignOut(Struct):
    id: str
    name: str
    description: str
    references: list[str]
    created_at: str
    updated_at: str


class SignatureIn(Struct, forbid_unknown_fields=True):
    kind: IndicatorKind
    value: Annotated[str, Meta(min_length=1, max_length=2048, pattern=r"\S")]
    campaign_id: CampaignId
    note: Annotated[str, Meta(max_length=2000)] = ""


class SignaturePatch(Struct, forbid_unknown_fields=True):
    kind: IndicatorKind | None = None
    value: Annotated[str, Meta(min_length=1, max_length=2048, pattern=r"\S")] | None = None
    campaign_id: CampaignId | None = None
    note: Annotated[str, Meta(max_length=2000)] | None = None


class SignatureOut(Struct):
    id: int
    kind: str
    value: str
    campaign_id: str
    note: str
    created_at: str
    updated_at: str


class KeyIn(Struct, forbid_unknown_fields=True):
    role: RoleName
    name: Annotated[str, Meta(max_length=200)] = ""


class KeyOut(Struct):
    id: str
    prefix: str
    role: str
    name: str
    created_at: str
    revoked_at: str | None


class CreatedKey(Struct):
    """The new key is shown here once; only its hash is stored."""

    key: str
    record: KeyOut


class DeliveryOut(Struct):
    id: int
    event_id: str
    scan_id: int
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    last_status: int | None
    created_at: str
    delivered_at: str | None


class Requeued(Struct):
    requeued: int


class Health(Struct):
    status: str
    version: str


class Ready(Struct):
    status: str
    database: str


def to_struct(cls: type[Any], obj: Any) -> Any:
    """A dataclass record from the store as a response struct."""
    return msgspec.convert(obj, cls, from_attributes=True)
