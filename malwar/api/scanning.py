"""Scan, store, notify: the API's one path from request body to stored scan.

Analysis runs on the pipeline's ``Scanner`` (the same as the CLI). The threat-intel
index is the bundled pack plus the database's signatures. Each stored scan names the intel
revision it used, and the store checks it in the transaction that saves the scan: a scan made
with outdated intel is not stored but rescanned with the new index. So a new signature
applies to every scan stored after it, in every worker, and the request path reads no
revision from the database (that read cost a GIL round trip on the event loop per request).
Writes go through one writer thread per process that commits queued scans together.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from malwar.api.observe import Metrics, log
from malwar.api.settings import ServerSettings
from malwar.intel import Campaign, IntelIndex
from malwar.models import Skill, Verdict
from malwar.pipeline import Scanner, ScanOptions
from malwar.report import result_to_dict
from malwar.store import NewScan, StaleIntel, Store, StoredScan, StoreError
from malwar.webhooks import scan_event

# Bigger inputs are analysed in a thread so the event loop keeps serving small requests.
INLINE_BYTES = 256 * 1024
# Rescans allowed when intel changes while a scan runs; the last one is stored as it is.
STALE_INTEL_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ScanInput:
    source: str  # "text", "file", "zip"
    skill: Skill


class ScanWriter:
    """One writer thread per process: queued scans are committed in one transaction."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="malwar-scan-writer", daemon=True)
        self._thread.start()

    async def save(self, scans: Sequence[NewScan]) -> list[StoredScan]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[StoredScan]] = loop.create_future()
        self._queue.put((list(scans), future, loop))
        return await future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 64:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[Any]) -> None:
        try:
            stored = self.store.save_scans([s for scans, _, _ in batch for s in scans], scan_event)
        except Exception as exc:
            if len(batch) > 1:  # one bad (or outdated) scan must not fail its neighbours
                for one in batch:
                    self._commit([one])
                return
            _, future, loop = batch[0]
            if isinstance(exc, StaleIntel):  # not an error: the caller rescans
                loop.call_soon_threadsafe(_set_exception, future, exc)
                return
            self.metrics.db_errors.labels("save_scan").inc()
            loop.call_soon_threadsafe(_set_exception, future, StoreError("cannot store the scan"))
            return
        pos = 0
        for scans, future, loop in batch:
            loop.call_soon_threadsafe(_set_result, future, stored[pos:pos + len(scans)])
            pos += len(scans)


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class ScanService:
    def __init__(self, settings: ServerSettings, store: Store, metrics: Metrics, dispatcher: Any = None) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.dispatcher = dispatcher
        self.options = ScanOptions()
        self.writer = ScanWriter(store, metrics)
        self._revision = -1
        self._scanner: Scanner | None = None
        self._bundled = IntelIndex.bundled()
        self._min_verdict = Verdict(settings.webhook_min_verdict)

    @property
    def limits(self):
        return self.options.limits

    def scanner(self, refresh: bool = False) -> Scanner:
        """The scanner for the intel this worker last saw; ``refresh`` reloads it if the database moved on."""
        if self._scanner is None or refresh:
            revision = self.store.intel_revision()
            if self._scanner is None or revision != self._revision:
                self._scanner = Scanner(self.options, intel=self.build_intel())
                self._revision = revision
        return self._scanner

    def build_intel(self) -> IntelIndex:
        index = IntelIndex.bundled()
        campaigns = self.store.list_campaigns()
        for c in campaigns:
            index.add_campaign(Campaign(c.id, c.name, c.description, c.references))
        signatures = self.store.list_signatures()
        by_kind: dict[tuple[str, str], list[str]] = {}
        for s in signatures:
            by_kind.setdefault((s.kind, s.campaign_id), []).append(s.value)
        for (kind, campaign), values in by_kind.items():
            index.add(kind, values, campaign)
        if campaigns or signatures:
            index.version = f"{index.version}+db.{len(signatures)}"
        return index

    async def scan(self, inputs: Sequence[ScanInput], key_id: str | None) -> list[StoredScan]:
        refresh = False
        for attempt in range(1, STALE_INTEL_ATTEMPTS + 1):
            scanner = self.scanner(refresh)
            # The last attempt stores what it has: intel read a moment ago, named in the result.
            revision = self._revision if attempt < STALE_INTEL_ATTEMPTS else None
            new = await self._analyse(scanner, revision, inputs, key_id)
            try:
                stored = await self.writer.save(new)
                break
            except StaleIntel:
                refresh = True
        for scan, saved in zip(new, stored, strict=True):
            self.metrics.scans.labels(scan.verdict).inc()
            log(logging.INFO, "scan", scan_id=saved.id, verdict=scan.verdict, risk_score=scan.risk_score,
                findings=len(scan.findings), bytes=scan.result["bytes"], files=scan.result["files"],
                duration_ms=round(scan.duration_ms, 3), source=scan.source, key_id=key_id)
            if saved.delivery_ids and self.dispatcher is not None:
                self.dispatcher.notify(saved.delivery_ids)
        return stored

    async def _analyse(self, scanner: Scanner, revision: int | None, inputs: Sequence[ScanInput],
                       key_id: str | None) -> list[NewScan]:
        new: list[NewScan] = []
        for item in inputs:
            size = sum(len(f.data) for f in item.skill.files)
            start = time.perf_counter()
            if size <= INLINE_BYTES:
                result = scanner.scan_skill(item.skill)
            else:
                result = await anyio.to_thread.run_sync(scanner.scan_skill, item.skill)
            elapsed = time.perf_counter() - start
            self.metrics.scan_seconds.observe(elapsed)
            notify = self.settings.webhook_urls if result.verdict.at_least(self._min_verdict) else ()
            new.append(NewScan(
                target=result.target, sha256=result.sha256, source=item.source, verdict=result.verdict.value,
                risk_score=result.risk_score, duration_ms=elapsed * 1000, result=result_to_dict(result),
                findings=result.findings, key_id=key_id, intel_version=scanner.intel.version,
                notify_urls=notify, intel_revision=revision))
        return new

    def close(self) -> None:
        self.writer.close()
