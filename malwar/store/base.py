"""The store interface and the value types that cross it. No I/O here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from malwar.models import Finding


class StoreError(Exception):
    """The database cannot do what was asked (unreachable, locked too long, corrupt...)."""


class NotFound(StoreError):
    """No such record."""


class StaleIntel(StoreError):
    """The scan was made with threat intelligence older than the database's; nothing was stored.

    Raised by ``save_scans`` when a scan names the intel revision it used and the database has
    moved on: the caller rescans with the current intel and saves again.
    """

    def __init__(self, current_revision: int) -> None:
        super().__init__(f"threat intelligence changed (now revision {current_revision}); rescan")
        self.current_revision = current_revision


@dataclass(frozen=True, slots=True)
class NewScan:
    """A finished scan, ready to be stored."""

    target: str
    sha256: str
    source: str  # "text", "file", "zip"
    verdict: str
    risk_score: int
    duration_ms: float
    result: dict[str, Any]  # malwar.report.result_to_dict(result)
    findings: tuple[Finding, ...] = ()
    key_id: str | None = None
    intel_version: str = ""
    notify_urls: tuple[str, ...] = ()  # webhook URLs that get an event for this scan
    # The intel revision the scan used. When given, the save checks it in the same transaction
    # (StaleIntel if the database has a newer one), so no scan is stored with outdated intel.
    intel_revision: int | None = None


@dataclass(frozen=True, slots=True)
class StoredScan:
    id: int
    created_at: str
    document: bytes  # the exact JSON bytes returned at scan time and by GET /scans/{id}
    delivery_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ScanSummary:
    id: int
    created_at: str
    sha256: str
    target: str
    source: str
    verdict: str
    risk_score: int
    finding_count: int
    duration_ms: float
    previous_scan_id: int | None


@dataclass(frozen=True, slots=True)
class ScanQuery:
    limit: int = 20
    cursor: int | None = None  # return scans with an id below this one (newest first)
    verdicts: tuple[str, ...] = ()
    sha256: str | None = None
    since: str | None = None  # ISO-8601 UTC, inclusive
    until: str | None = None  # ISO-8601 UTC, exclusive


@dataclass(frozen=True, slots=True)
class ScanPage:
    items: list[ScanSummary]
    next_cursor: int | None


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    id: str
    name: str
    description: str = ""
    references: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    id: int
    kind: str
    value: str
    campaign_id: str
    note: str = ""
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    prefix: str  # the first characters of the key, to recognise it in a list
    role: str
    name: str
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    event_id: str
    scan_id: int
    url: str
    payload: bytes
    status: str  # pending, delivered, failed
    attempts: int
    last_error: str | None
    last_status: int | None
    created_at: str
    delivered_at: str | None = None


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    applied: list[tuple[str, str]]  # (name, applied_at)
    pending: list[str]


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: str
    size_bytes: int
    scans: int
    findings: int
    integrity: str = "ok"
    extra: dict[str, Any] = field(default_factory=dict)


EventBuilder = Callable[[dict[str, Any], str], bytes]  # (scan document, event id) -> the exact body sent


class Store(Protocol):
    """What the API, the CLI and the webhook dispatcher need from a database."""

    # schema
    def migrate(self) -> list[str]: ...
    def migration_status(self) -> MigrationStatus: ...
    def not_ready_reason(self) -> str | None: ...
    def close(self) -> None: ...

    # scans
    def save_scans(self, scans: Sequence[NewScan],
                   event_builder: EventBuilder | None = None) -> list[StoredScan]: ...
    def get_scan_document(self, scan_id: int) -> bytes: ...
    def list_scans(self, query: ScanQuery) -> ScanPage: ...

    # threat intelligence
    def intel_revision(self) -> int: ...
    def list_campaigns(self) -> list[CampaignRecord]: ...
    def get_campaign(self, campaign_id: str) -> CampaignRecord: ...
    def put_campaign(self, campaign: CampaignRecord) -> CampaignRecord: ...
    def delete_campaign(self, campaign_id: str) -> None: ...
    def list_signatures(self, kind: str | None = None, campaign_id: str | None = None) -> list[SignatureRecord]: ...
    def get_signature(self, signature_id: int) -> SignatureRecord: ...
    def add_signature(self, kind: str, value: str, campaign_id: str, note: str = "") -> SignatureRecord: ...
    def update_signature(self, signature_id: int, *, kind: str | None = None, value: str | None = None,
                         campaign_id: str | None = None, note: str | None = None) -> SignatureRecord: ...
    def delete_signature(self, signature_id: int) -> None: ...

    # API keys (only hashes are stored)
    def create_key(self, role: str, name: str) -> tuple[str, ApiKeyRecord]: ...
    def find_key(self, key_hash: str) -> ApiKeyRecord | None: ...
    def list_keys(self) -> list[ApiKeyRecord]: ...
    def revoke_key(self, key_id: str) -> ApiKeyRecord: ...
    def active_key_count(self) -> int: ...

    # webhook deliveries (an outbox written in the same transaction as the scan)
    def claim_deliveries(self, ids: Sequence[int] | None, limit: int, lease_seconds: float) -> list[Delivery]: ...
    def finish_delivery(self, delivery_id: int, *, ok: bool, attempts: int, error: str | None,
                        status_code: int | None) -> None: ...
    def release_delivery(self, delivery_id: int, attempts: int = 0) -> None: ...
    def list_deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]: ...
    def requeue_failed_deliveries(self) -> int: ...

    # operations
    def backup(self, dest: str) -> BackupInfo: ...
