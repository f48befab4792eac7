"""Store: where scans, findings, signatures, API keys and webhook deliveries live.

``Store`` is the small interface the API, the CLI and the webhook dispatcher use;
``SQLiteStore`` is the one backend today. A PostgreSQL backend implements the same
protocol later (``MALWAR_DB_URL`` is reserved for it).
"""

from __future__ import annotations

from malwar.store.base import (
    ApiKeyRecord,
    BackupInfo,
    CampaignRecord,
    Delivery,
    MigrationStatus,
    NewScan,
    NotFound,
    ScanPage,
    ScanQuery,
    ScanSummary,
    SignatureRecord,
    StaleIntel,
    Store,
    StoredScan,
    StoreError,
)
from malwar.store.sqlite import SQLiteStore, restore_database


def open_store(db_path: str, db_url: str = "", busy_timeout_ms: int = 5000) -> Store:
    """The store named by the settings. Only SQLite exists today."""
    if db_url:
        raise StoreError("MALWAR_DB_URL: the PostgreSQL backend is not available yet; "
                         "unset it and use MALWAR_DB_PATH (SQLite)")
    return SQLiteStore(db_path, busy_timeout_ms=busy_timeout_ms)


__all__ = [
    "ApiKeyRecord",
    "BackupInfo",
    "CampaignRecord",
    "Delivery",
    "MigrationStatus",
    "NewScan",
    "NotFound",
    "SQLiteStore",
    "ScanPage",
    "ScanQuery",
    "ScanSummary",
    "SignatureRecord",
    "StaleIntel",
    "Store",
    "StoreError",
    "StoredScan",
    "open_store",
    "restore_database",
]
