"""Schema changes, one function each, applied in order and recorded by sqlite-utils' ``Migrations``.

Never edit a migration that has shipped: add a new one. Names are stable forever.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("malwar")


@migrations(name="0001_scans_and_findings")
def scans_and_findings(db: Database) -> None:
    # AUTOINCREMENT: an id is never reused, so a scan id in a webhook or a log line
    # always names the same scan.
    db.execute("""
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            target TEXT NOT NULL,
            source TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('clean', 'caution', 'suspicious', 'malicious')),
            risk_score INTEGER NOT NULL,
            finding_count INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            key_id TEXT,
            intel_version TEXT NOT NULL DEFAULT '',
            previous_scan_id INTEGER REFERENCES scans(id),
            document BLOB NOT NULL
        )""")
    db.execute("CREATE INDEX scans_sha256 ON scans (sha256, id)")
    db.execute("CREATE INDEX scans_verdict ON scans (verdict, id)")
    db.execute("CREATE INDEX scans_created_at ON scans (created_at)")
    db.execute("""
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            rule_id TEXT NOT NULL,
            severity TEXT NOT NULL,
            confidence TEXT NOT NULL,
            category TEXT NOT NULL,
            file TEXT NOT NULL,
            line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            evidence TEXT NOT NULL,
            suppressed INTEGER NOT NULL DEFAULT 0,
            UNIQUE (scan_id, position)
        )""")
    db.execute("CREATE INDEX findings_rule ON findings (rule_id)")
    db.execute("CREATE INDEX findings_fingerprint ON findings (fingerprint)")


@migrations(name="0002_intel")
def intel(db: Database) -> None:
    db.execute("""
        CREATE TABLE campaigns (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            references_json TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE signatures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            campaign_id TEXT NOT NULL REFERENCES campaigns(id),
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (kind, value)
        )""")
    db.execute("CREATE INDEX signatures_campaign ON signatures (campaign_id)")
    # A counter bumped by every intel change, so each worker knows when to rebuild its index.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('intel_revision', 0)")


@migrations(name="0003_api_keys")
def api_keys(db: Database) -> None:
    db.execute("""
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('read-only', 'scanner', 'analyst', 'admin')),
            name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""")


@migrations(name="0004_webhook_deliveries")
def webhook_deliveries(db: Database) -> None:
    db.execute("""
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            payload BLOB NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_status INTEGER,
            created_at TEXT NOT NULL,
            claimed_until REAL NOT NULL DEFAULT 0,
            delivered_at TEXT
        )""")
    db.execute("CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, id)")
