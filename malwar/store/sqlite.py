"""The SQLite backend: WAL, a busy timeout, and one writer path per process.

Every write runs in ``BEGIN IMMEDIATE`` on the process's single writer connection,
behind a lock: writers from several worker processes queue on SQLite's own lock
(the busy timeout) instead of failing a read-to-write upgrade half way. Readers
get one connection per thread and never block writers (WAL).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from malwar.intel import INDICATOR_KINDS
from malwar.store.base import (
    ApiKeyRecord,
    BackupInfo,
    CampaignRecord,
    Delivery,
    EventBuilder,
    MigrationStatus,
    NewScan,
    NotFound,
    ScanPage,
    ScanQuery,
    ScanSummary,
    SignatureRecord,
    StaleIntel,
    StoredScan,
    StoreError,
)
from malwar.store.migrations import migrations

SQLITE_HEADER = b"SQLite format 3\x00"
KEY_PREFIX = "mw_"


class Conflict(StoreError):
    """The change clashes with what is stored (a duplicate, or a record still in use)."""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_api_key(key: str) -> str:
    # Keys are 256-bit random tokens: a plain SHA-256 is enough, no slow KDF needed.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _connect(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _scan_summary(row: sqlite3.Row | tuple[Any, ...]) -> ScanSummary:
    return ScanSummary(*row)


_SUMMARY_COLUMNS = ("id, created_at, sha256, target, source, verdict, risk_score, finding_count, "
                    "duration_ms, previous_scan_id")
_DELIVERY_COLUMNS = ("id, event_id, scan_id, url, payload, status, attempts, last_error, last_status, "
                     "created_at, delivered_at")


class SQLiteStore:
    def __init__(self, path: str | os.PathLike[str], busy_timeout_ms: int = 5000):
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        parent = Path(self.path).parent
        if not parent.is_dir():
            raise StoreError(f"database folder {parent} does not exist")
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._writer: sqlite3.Connection | None = None
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        try:
            conn = self._open()
            # WAL is a property of the file; setting it is idempotent and lets readers and
            # the one writer work at the same time.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        if mode.lower() != "wal":
            raise StoreError(f"database {self.path} cannot use WAL mode (got {mode})")

    # -- connections ------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        conn = _connect(self.path, self.busy_timeout_ms)
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """The one writer path: a lock in this process, BEGIN IMMEDIATE across processes."""
        with self._write_lock:
            if self._writer is None:
                self._writer = self._open()
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"database is busy: {exc}") from exc
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"commit failed: {exc}") from exc

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"database read failed: {exc}") from exc

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._writer = None
        self._local = threading.local()

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations; safe to run any number of times, from several processes."""
        try:
            with self._tx() as conn:
                db = Database(conn, execute_plugins=False, recursive_triggers=False)
                names = [m.name for m in migrations.pending(db)]
                migrations.apply(db)
        except sqlite3.Error as exc:
            raise StoreError(f"migration failed: {exc}") from exc
        return names

    def migration_status(self) -> MigrationStatus:
        db = Database(self._reader(), execute_plugins=False, recursive_triggers=False)
        try:
            applied = [(m.name, m.applied_at) for m in migrations.applied(db)]
            pending = [m.name for m in migrations.pending(db)]
        except sqlite3.Error as exc:
            raise StoreError(f"database read failed: {exc}") from exc
        return MigrationStatus(applied, pending)

    def not_ready_reason(self) -> str | None:
        try:
            status = self.migration_status()
        except StoreError as exc:
            return f"database unreachable: {exc}"
        if status.pending:
            return f"{len(status.pending)} database migration(s) pending: {', '.join(status.pending)}"
        return None

    # -- scans --------------------------------------------------------------------------
    def save_scans(self, scans: Sequence[NewScan],
                   event_builder: EventBuilder | None = None) -> list[StoredScan]:
        """Store scans, their findings and their webhook events in one transaction.

        Scans that name their intel revision are checked against the database's inside the
        transaction; if any is outdated nothing is stored and ``StaleIntel`` is raised.
        """
        out: list[StoredScan] = []
        try:
            with self._tx() as conn:
                if any(scan.intel_revision is not None for scan in scans):
                    current = self._intel_revision(conn)
                    if any(scan.intel_revision not in (None, current) for scan in scans):
                        raise StaleIntel(current)
                for scan in scans:
                    out.append(self._insert_scan(conn, scan, event_builder))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store scan: {exc}") from exc
        return out

    def _insert_scan(self, conn: sqlite3.Connection, scan: NewScan,
                     event_builder: EventBuilder | None) -> StoredScan:
        # Inside BEGIN IMMEDIATE nobody else can insert, so the next AUTOINCREMENT id is known
        # and the stored document can carry it: one INSERT, and the bytes never change again.
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'scans'").fetchone()
        scan_id = (row[0] if row else 0) + 1
        prev = conn.execute("SELECT id FROM scans WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
                            (scan.sha256,)).fetchone()
        created = now_iso()
        doc = {
            "id": scan_id,
            "created_at": created,
            "previous_scan_id": prev[0] if prev else None,
            "source": scan.source,
            "duration_ms": round(scan.duration_ms, 3),
            "intel_version": scan.intel_version,
            "result": scan.result,
        }
        document = msgspec.json.encode(doc)
        conn.execute(
            "INSERT INTO scans (id, created_at, sha256, target, source, verdict, risk_score, finding_count,"
            " duration_ms, key_id, intel_version, previous_scan_id, document)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scan_id, created, scan.sha256, scan.target, scan.source, scan.verdict, scan.risk_score,
             len(scan.findings), doc["duration_ms"], scan.key_id, scan.intel_version, doc["previous_scan_id"],
             document))
        if scan.findings:
            conn.executemany(
                "INSERT INTO findings (scan_id, position, rule_id, severity, confidence, category, file, line,"
                " end_line, fingerprint, evidence, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(scan_id, i, f.rule_id, f.severity.label, f.confidence.label, f.category.value, f.file, f.line,
                  f.end_line, f.fingerprint, f.evidence, int(f.suppression is not None))
                 for i, f in enumerate(scan.findings)])
        delivery_ids: list[int] = []
        if scan.notify_urls and event_builder is not None:
            for url in scan.notify_urls:
                event_id = str(uuid.uuid4())
                cur = conn.execute(
                    "INSERT INTO webhook_deliveries (event_id, scan_id, url, payload, status, created_at)"
                    " VALUES (?, ?, ?, ?, 'pending', ?)",
                    (event_id, scan_id, url, event_builder(doc, event_id), created))
                delivery_ids.append(int(cur.lastrowid or 0))
        return StoredScan(scan_id, created, document, tuple(delivery_ids))

    def get_scan_document(self, scan_id: int) -> bytes:
        rows = self._read("SELECT document FROM scans WHERE id = ?", (scan_id,))
        if not rows:
            raise NotFound(f"no scan with id {scan_id}")
        return bytes(rows[0][0])

    def list_scans(self, query: ScanQuery) -> ScanPage:
        where: list[str] = []
        params: list[object] = []
        if query.cursor is not None:
            where.append("id < ?")
            params.append(query.cursor)
        if query.verdicts:
            where.append(f"verdict IN ({', '.join('?' * len(query.verdicts))})")
            params.extend(query.verdicts)
        if query.sha256:
            where.append("sha256 = ?")
            params.append(query.sha256.lower())
        if query.since:
            where.append("created_at >= ?")
            params.append(query.since)
        if query.until:
            where.append("created_at < ?")
            params.append(query.until)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(f"SELECT {_SUMMARY_COLUMNS} FROM scans {clause} ORDER BY id DESC LIMIT ?",
                          (*params, query.limit + 1))
        items = [_scan_summary(r) for r in rows[: query.limit]]
        return ScanPage(items, items[-1].id if len(rows) > query.limit else None)

    def count_scans(self) -> tuple[int, int]:
        rows = self._read("SELECT (SELECT count(*) FROM scans), (SELECT count(*) FROM findings)")
        return rows[0][0], rows[0][1]

    # -- threat intelligence ----------------------------------------------------------
    def intel_revision(self) -> int:
        try:
            return self._intel_revision(self._reader())
        except sqlite3.Error as exc:
            raise StoreError(f"database read failed: {exc}") from exc

    @staticmethod
    def _intel_revision(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = 'intel_revision'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'intel_revision'")

    @staticmethod
    def _campaign(row: tuple[Any, ...]) -> CampaignRecord:
        return CampaignRecord(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5])

    def list_campaigns(self) -> list[CampaignRecord]:
        rows = self._read("SELECT id, name, description, references_json, created_at, updated_at"
                          " FROM campaigns ORDER BY id")
        return [self._campaign(r) for r in rows]

    def get_campaign(self, campaign_id: str) -> CampaignRecord:
        rows = self._read("SELECT id, name, description, references_json, created_at, updated_at"
                          " FROM campaigns WHERE id = ?", (campaign_id,))
        if not rows:
            raise NotFound(f"no campaign with id {campaign_id!r}")
        return self._campaign(rows[0])

    def put_campaign(self, campaign: CampaignRecord) -> CampaignRecord:
        now = now_iso()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO campaigns (id, name, description, references_json, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                " description = excluded.description, references_json = excluded.references_json,"
                " updated_at = excluded.updated_at",
                (campaign.id, campaign.name, campaign.description, json.dumps(list(campaign.references)), now, now))
            self._bump(conn)
        return self.get_campaign(campaign.id)

    def delete_campaign(self, campaign_id: str) -> None:
        with self._tx() as conn:
            used = conn.execute("SELECT count(*) FROM signatures WHERE campaign_id = ?", (campaign_id,)).fetchone()[0]
            if used:
                raise Conflict(f"campaign {campaign_id!r} still has {used} signature(s); delete them first")
            if conn.execute("DELETE FROM campaigns WHERE id = ?", (campaign_id,)).rowcount == 0:
                raise NotFound(f"no campaign with id {campaign_id!r}")
            self._bump(conn)

    _SIG = "SELECT id, kind, value, campaign_id, note, created_at, updated_at FROM signatures"

    def list_signatures(self, kind: str | None = None, campaign_id: str | None = None) -> list[SignatureRecord]:
        where, params = [], []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if campaign_id:
            where.append("campaign_id = ?")
            params.append(campaign_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return [SignatureRecord(*r) for r in self._read(f"{self._SIG}{clause} ORDER BY id", params)]

    def get_signature(self, signature_id: int) -> SignatureRecord:
        rows = self._read(f"{self._SIG} WHERE id = ?", (signature_id,))
        if not rows:
            raise NotFound(f"no signature with id {signature_id}")
        return SignatureRecord(*rows[0])

    @staticmethod
    def _check_signature(conn: sqlite3.Connection, kind: str, value: str, campaign_id: str) -> None:
        if kind not in INDICATOR_KINDS:
            raise StoreError(f"unknown indicator kind {kind!r}; expected one of {', '.join(INDICATOR_KINDS)}")
        if not value.strip():
            raise StoreError("a signature needs a non-empty value")
        if conn.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
            raise NotFound(f"no campaign with id {campaign_id!r}; create it first")

    def add_signature(self, kind: str, value: str, campaign_id: str, note: str = "") -> SignatureRecord:
        now = now_iso()
        try:
            with self._tx() as conn:
                self._check_signature(conn, kind, value, campaign_id)
                cur = conn.execute(
                    "INSERT INTO signatures (kind, value, campaign_id, note, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)", (kind, value.strip(), campaign_id, note, now, now))
                self._bump(conn)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a {kind} signature with value {value.strip()!r} already exists") from exc
        return self.get_signature(int(cur.lastrowid or 0))

    def update_signature(self, signature_id: int, *, kind: str | None = None, value: str | None = None,
                         campaign_id: str | None = None, note: str | None = None) -> SignatureRecord:
        current = self.get_signature(signature_id)
        new = SignatureRecord(signature_id, kind or current.kind, (value or current.value).strip(),
                              campaign_id or current.campaign_id, current.note if note is None else note)
        try:
            with self._tx() as conn:
                self._check_signature(conn, new.kind, new.value, new.campaign_id)
                if conn.execute(
                        "UPDATE signatures SET kind = ?, value = ?, campaign_id = ?, note = ?, updated_at = ?"
                        " WHERE id = ?",
                        (new.kind, new.value, new.campaign_id, new.note, now_iso(), signature_id)).rowcount == 0:
                    raise NotFound(f"no signature with id {signature_id}")
                self._bump(conn)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a {new.kind} signature with value {new.value!r} already exists") from exc
        return self.get_signature(signature_id)

    def delete_signature(self, signature_id: int) -> None:
        with self._tx() as conn:
            if conn.execute("DELETE FROM signatures WHERE id = ?", (signature_id,)).rowcount == 0:
                raise NotFound(f"no signature with id {signature_id}")
            self._bump(conn)

    # -- API keys ---------------------------------------------------------------------
    _KEY = "SELECT id, prefix, role, name, created_at, revoked_at FROM api_keys"

    def create_key(self, role: str, name: str) -> tuple[str, ApiKeyRecord]:
        """A new random key; only its hash is stored. The plain key is returned once."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = "key_" + secrets.token_hex(4)
        try:
            with self._tx() as conn:
                conn.execute("INSERT INTO api_keys (id, key_hash, prefix, role, name, created_at)"
                             " VALUES (?, ?, ?, ?, ?, ?)",
                             (key_id, hash_api_key(key), key[:8], role, name, now_iso()))
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"cannot create key: {exc}") from exc
        return key, self._get_key(key_id)

    def _get_key(self, key_id: str) -> ApiKeyRecord:
        rows = self._read(f"{self._KEY} WHERE id = ?", (key_id,))
        if not rows:
            raise NotFound(f"no API key with id {key_id!r}")
        return ApiKeyRecord(*rows[0])

    def find_key(self, key_hash: str) -> ApiKeyRecord | None:
        rows = self._read(f"{self._KEY} WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,))
        return ApiKeyRecord(*rows[0]) if rows else None

    def list_keys(self) -> list[ApiKeyRecord]:
        return [ApiKeyRecord(*r) for r in self._read(f"{self._KEY} ORDER BY created_at, id")]

    def revoke_key(self, key_id: str) -> ApiKeyRecord:
        with self._tx() as conn:
            if conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                            (now_iso(), key_id)).rowcount == 0:
                exists = conn.execute("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)).fetchone()
                raise NotFound(f"API key {key_id!r} is already revoked" if exists
                               else f"no API key with id {key_id!r}")
        return self._get_key(key_id)

    def active_key_count(self) -> int:
        return int(self._read("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL")[0][0])

    # -- webhook deliveries -------------------------------------------------------------
    def claim_deliveries(self, ids: Sequence[int] | None, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease pending deliveries to this process so two workers never send the same event."""
        now = time.time()
        with self._tx() as conn:
            if ids is not None:
                if not ids:
                    return []
                marks = ", ".join("?" * len(ids))
                rows = conn.execute(
                    f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id IN ({marks})"
                    " AND status = 'pending' AND claimed_until < ? ORDER BY id LIMIT ?",
                    (*ids, now, limit)).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending'"
                    " AND claimed_until < ? ORDER BY id LIMIT ?", (now, limit)).fetchall()
            if rows:
                conn.execute(
                    f"UPDATE webhook_deliveries SET claimed_until = ? WHERE id IN ({', '.join('?' * len(rows))})",
                    (now + lease_seconds, *(r[0] for r in rows)))
        return [Delivery(r[0], r[1], r[2], r[3], bytes(r[4]), *r[5:]) for r in rows]

    def finish_delivery(self, delivery_id: int, *, ok: bool, attempts: int, error: str | None,
                        status_code: int | None) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = attempts + ?, last_error = ?,"
                " last_status = ?, delivered_at = ?, claimed_until = 0 WHERE id = ?",
                ("delivered" if ok else "failed", attempts, error, status_code, now_iso() if ok else None,
                 delivery_id))

    def release_delivery(self, delivery_id: int, attempts: int = 0) -> None:
        """Give a leased delivery back (shutdown): it stays pending for the next process."""
        with self._tx() as conn:
            conn.execute("UPDATE webhook_deliveries SET claimed_until = 0, attempts = attempts + ?"
                         " WHERE id = ? AND status = 'pending'", (attempts, delivery_id))

    def list_deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        clause = "WHERE status = ?" if status else ""
        rows = self._read(f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries {clause} ORDER BY id DESC LIMIT ?",
                          (*([status] if status else []), limit))
        return [Delivery(r[0], r[1], r[2], r[3], bytes(r[4]), *r[5:]) for r in rows]

    def requeue_failed_deliveries(self) -> int:
        with self._tx() as conn:
            return conn.execute("UPDATE webhook_deliveries SET status = 'pending', claimed_until = 0"
                                " WHERE status = 'failed'").rowcount

    # -- backup -------------------------------------------------------------------------
    def backup(self, dest: str) -> BackupInfo:
        """An online, consistent copy while writers keep going, verified before it is kept."""
        return _copy_verified(self._open(), dest)


def _copy_verified(src: sqlite3.Connection, dest: str) -> BackupInfo:
    target = Path(dest)
    if target.is_dir():
        raise StoreError(f"backup destination {dest} is a folder; name a file")
    if not target.parent.is_dir():
        raise StoreError(f"backup folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        dst = sqlite3.connect(str(partial), isolation_level=None)
        try:
            # One step (pages=-1): a single read snapshot. Under WAL it does not block writers,
            # and unlike a stepped copy it never restarts because another process wrote.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
            integrity = _integrity(dst)
            scans, findings = dst.execute(
                "SELECT (SELECT count(*) FROM scans), (SELECT count(*) FROM findings)").fetchone()
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup failed: {exc}") from exc
    finally:
        src.close()
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup copy failed its integrity check: {integrity}")
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    return BackupInfo(str(target), target.stat().st_size, scans, findings, integrity)


def _integrity(conn: sqlite3.Connection) -> str:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    text = "; ".join(str(r[0]) for r in rows[:5])
    return "ok" if text == "ok" else text


def check_database_file(path: str) -> BackupInfo:
    """Refuse anything that is not an intact malwar database; return its counts."""
    p = Path(path)
    if not p.is_file():
        raise StoreError(f"{path} is not a file")
    with open(p, "rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            raise StoreError(f"{path} is not a SQLite database")
    try:
        conn = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        try:
            integrity = _integrity(conn)
            if integrity != "ok":
                raise StoreError(f"{path} is corrupt: {integrity}")
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone() is None:
                raise StoreError(f"{path} is not a malwar database (no migrations table)")
            scans, findings = conn.execute(
                "SELECT (SELECT count(*) FROM scans), (SELECT count(*) FROM findings)").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is corrupt or unreadable: {exc}") from exc
    return BackupInfo(str(p), p.stat().st_size, scans, findings, integrity)


def restore_database(src: str, db_path: str, busy_timeout_ms: int = 5000) -> BackupInfo:
    """Replace the database at ``db_path`` with a verified copy of ``src``.

    The copy goes through SQLite's backup API into the live file, so WAL files and
    other processes' connections stay consistent; a corrupt source is refused first.
    """
    check_database_file(src)
    if Path(src).resolve() == Path(db_path).resolve():
        raise StoreError("the restore source is the database itself")
    source = sqlite3.connect(f"file:{Path(src).resolve()}?mode=ro", uri=True)
    try:
        dst = _connect(db_path, busy_timeout_ms)
        try:
            source.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = WAL")
            integrity = _integrity(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise StoreError(f"restore failed: {exc}") from exc
    finally:
        source.close()
    if integrity != "ok":
        raise StoreError(f"restored database failed its integrity check: {integrity}")
    info = check_database_file(db_path)
    return info
