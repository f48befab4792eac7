"""Load benchmark of ``malwar serve``: ``python -m tests.bench.bench_server``.

Starts ``malwar serve --workers 2`` on a loopback port against a temporary database and
drives it with 50 concurrent keep-alive clients posting a typical ~8 KB synthetic skill
(each one slightly different, as real uploads are). Two phases:

1. saturation: every client sends its next request as soon as the last one is answered;
   this gives the most scans/s the server stores;
2. paced: the same 50 clients together send a fixed rate (default 200 requests/s, the
   throughput target), which is how latency is judged at that load without the queueing
   that saturation adds. Latency counts from when a request was due, not when it was sent.

While the paced phase runs, ``malwar db backup`` copies the live database; the copy is
restored into a fresh file and must hold every scan acknowledged (any phase) before the
backup began. Reports requests/s, p50/p99 latency, errors, server RSS, the server's CPU time
per request, and how busy the rest of the machine was (the load generator shares the 2 cores;
other processes make the latency figures worse, not better), the backup check, and PASS/MISS
per target. Exits 1 on any error, a lost scan or a failed backup check.

Targets (2-core machine): >= 200 scans/s stored, p99 < 100 ms at 50 clients sending 200
scans/s, RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

KEY = "bench-key-0123456789abcdef"

_SECTION = """
## {title}

This skill helps you {verb} {noun} files in a project. It reads the files you point it at,
{verb}s them, and writes a short report. It never changes files unless you ask it to.

1. Open the folder that holds the {noun} files.
2. Run `python scripts/{noun}_{verb}.py --input ./data --output ./report.md`.
3. Read the report; each line names a file and what was found.

```python
import pathlib

def {verb}_{noun}(folder: str) -> list[str]:
    out = []
    for path in sorted(pathlib.Path(folder).glob("**/*.{ext}")):
        text = path.read_text(encoding="utf-8")
        out.append(f"{{path}}: {{len(text.splitlines())}} lines")
    return out
```

See https://docs.python.org/3/library/pathlib.html for the details of `pathlib`.
"""


def synthetic_skill(seed: int, size: int = 8192) -> str:
    rnd = random.Random(seed)
    parts = [f"---\nname: helper-{seed}\ndescription: Summarise and tidy project files\n---\n# Helper {seed}\n"]
    while sum(map(len, parts)) < size:
        parts.append(_SECTION.format(title=rnd.choice(["Usage", "Examples", "Notes", "Options", "Output"]),
                                     verb=rnd.choice(["format", "check", "summarise", "index"]),
                                     noun=rnd.choice(["csv", "markdown", "yaml", "log"]),
                                     ext=rnd.choice(["csv", "md", "yaml", "log"])))
    return "".join(parts)[:size]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- a small keep-alive HTTP/1.1 client: cheap enough not to steal the server's CPU ----
@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    acked: list[tuple[float, int]] = field(default_factory=list)  # (time answered, scan id)


class Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (f"POST /api/v1/scan HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def client(port: int, bodies: list[bytes], stats: Stats, stop_at: float,
                 due: list[float] | None) -> None:
    """Saturation (``due`` is None): the next request as soon as the last is answered, until
    ``stop_at``. Paced: one request at each due time; the latency is measured from when the
    request was due, so a slow answer cannot hide the queueing it causes (no coordinated omission)."""
    conn = Conn(port)
    i = 0
    try:
        while True:
            if due is not None:
                if i == len(due):
                    return
                start = due[i]
                delay = start - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                start = time.perf_counter()
                if start >= stop_at:
                    return
            body = bodies[i % len(bodies)]
            i += 1
            try:
                status, payload = await conn.post(body)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                stats.errors += 1
                stats.error_samples.append(repr(exc)[:200])
                conn.close()
                conn = Conn(port)
                continue
            done = time.perf_counter()
            if status != 201:
                stats.errors += 1
                stats.error_samples.append(f"HTTP {status}: {payload[:200]!r}")
                continue
            stats.latencies.append(done - start)
            stats.acked.append((done, json.loads(payload)["id"]))
    finally:
        conn.close()


def due_offsets(clients: int, seconds: float, rate: float) -> list[list[float]]:
    """When each paced client sends, in seconds from the phase start: client i first at i/rate,
    then every clients/rate seconds, while inside the phase. Together: `rate` requests/s."""
    interval = clients / rate
    return [[t for k in range(math.ceil(seconds / interval) + 1) if (t := (i / rate) + k * interval) < seconds]
            for i in range(clients)]


def scheduled(clients: int, seconds: float, rate: float) -> int:
    return sum(map(len, due_offsets(clients, seconds, rate)))


async def run_phase(port: int, bodies: list[bytes], clients: int, seconds: float,
                    rate: float | None) -> tuple[Stats, float]:
    stats = Stats()
    # Due times count from one phase start shared by all clients, so exactly `scheduled()`
    # requests fall due, however late a client's coroutine begins.
    start = time.perf_counter()
    stop_at = start + seconds
    offsets = due_offsets(clients, seconds, rate) if rate else [None] * clients
    tasks = [client(port, bodies[i::clients], stats, stop_at, None if o is None else [start + t for t in o])
             for i, o in enumerate(offsets)]
    await asyncio.gather(*tasks)
    return stats, time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- the server and its memory --------------------------------------------------------
def tree_pids(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    pids, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def rss_mb(root_pid: int) -> tuple[float, list[float]]:
    """Resident memory of the server and its worker processes."""
    pids = tree_pids(root_pid)
    sizes = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return sum(sizes), sizes


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy_seconds() -> float:
    """CPU time spent by everything on the machine (all cores), from /proc/stat."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """Server CPU per request, and the CPU other processes took while a phase ran."""

    server_pid: int
    start: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def sample(self) -> tuple[float, float, float, float]:
        return (time.perf_counter(), cpu_seconds(tree_pids(self.server_pid)),
                cpu_seconds([os.getpid()]), machine_busy_seconds())

    def begin(self) -> None:
        self.start = self.sample()

    def end(self, requests: int) -> dict[str, float]:
        wall, server, bench, busy = (b - a for a, b in zip(self.start, self.sample(), strict=True))
        other = max(0.0, busy - server - bench)
        return {"server_cpu_ms_per_request": round(1000 * server / max(requests, 1), 3),
                "server_cpu_percent": round(100 * server / wall, 1),
                "load_generator_cpu_percent": round(100 * bench / wall, 1),
                "other_processes_cpu_percent": round(100 * other / wall, 1)}


def start_server(tmp: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALWAR_", "PROMETHEUS_"))}
    env.update({"MALWAR_DB_PATH": str(tmp / "bench.db"), "MALWAR_API_KEYS": KEY,
                "MALWAR_RATE_LIMIT_PER_KEY_PER_MINUTE": "0", "MALWAR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0"})
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - the server writes to it until it stops
    proc = subprocess.Popen([sys.executable, "-m", "malwar", "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /api/v1/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {(tmp / 'server.log').read_text()[-2000:]}")


def malwar(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "malwar", *args, "--db", str(db)], capture_output=True, text=True,
                          timeout=120)


async def paced_with_backup(port: int, bodies: list[bytes], clients: int, seconds: float, rate: float,
                            tmp: Path, earlier: set[int]) -> tuple[Stats, float, dict[str, object]]:
    task = asyncio.create_task(run_phase(port, bodies, clients, seconds, rate))
    await asyncio.sleep(seconds / 2)
    backup_path = tmp / "backup.db"
    begun = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "malwar", "db", "backup", str(backup_path), "--db", str(tmp / "bench.db"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    backup_seconds = time.perf_counter() - begun
    stats, elapsed = await task
    info: dict[str, object] = {"ok": proc.returncode == 0, "output": (out or err).decode().strip(),
                               "seconds": round(backup_seconds, 3)}
    # Diagnosis only (the target is the p99 of every request): latency of requests that fell due
    # while the backup command ran, and of the others.
    ended = begun + backup_seconds
    during = [lat for (done, _), lat in zip(stats.acked, stats.latencies, strict=True) if begun <= done - lat < ended]
    outside = [lat for (done, _), lat in zip(stats.acked, stats.latencies, strict=True)
               if not begun <= done - lat < ended]
    info["p99_ms_while_backup_ran"] = round(percentile(during, 0.99) * 1000, 2)
    info["p99_ms_outside_backup"] = round(percentile(outside, 0.99) * 1000, 2)
    acked_before = earlier | {scan_id for when, scan_id in stats.acked if when < begun}
    info["acknowledged_before_backup"] = len(acked_before)
    if proc.returncode == 0:
        restored = tmp / "restored.db"
        r = malwar("db", "restore", str(backup_path), db=restored)
        info["restore"] = (r.stdout or r.stderr).strip()
        conn = sqlite3.connect(restored)
        present = {row[0] for row in conn.execute("SELECT id FROM scans")}
        conn.close()
        missing = acked_before - present
        info["missing_after_restore"] = len(missing)
        info["ok"] = r.returncode == 0 and not missing and bool(acked_before)
    return stats, elapsed, info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each phase.")
    parser.add_argument("--rate", type=float, default=200.0,
                        help="Requests/s in the paced phase (default: the 200 scans/s target).")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args()

    bodies = [json.dumps({"content": synthetic_skill(i), "file_name": "SKILL.md",
                          "target": f"bench-{i}"}).encode() for i in range(500)]
    with tempfile.TemporaryDirectory(prefix="malwar-bench-") as name:
        tmp = Path(name)
        port = free_port()
        load_before = os.getloadavg()
        server = start_server(tmp, port, args.workers)
        meter = CpuMeter(server.pid)
        try:
            warm, _ = asyncio.run(run_phase(port, bodies, args.clients, 1.0, None))  # warm up both workers
            meter.begin()
            sat, sat_elapsed = asyncio.run(run_phase(port, bodies, args.clients, args.seconds, None))
            sat_cpu = meter.end(len(sat.acked) + sat.errors)
            rss_after_saturation, _ = rss_mb(server.pid)
            meter.begin()
            paced, paced_elapsed, backup = asyncio.run(
                paced_with_backup(port, bodies, args.clients, args.seconds, args.rate, tmp,
                                  {i for _, i in warm.acked + sat.acked}))
            paced_cpu = meter.end(len(paced.acked) + paced.errors)
            rss_total, rss_each = rss_mb(server.pid)
        finally:
            server.terminate()
            code = server.wait(60)
        db = sqlite3.connect(tmp / "bench.db")
        stored_ids = {row[0] for row in db.execute("SELECT id FROM scans")}
        db.close()
        acked_ids = {i for _, i in warm.acked + sat.acked + paced.acked}
        lost = len(acked_ids - stored_ids)

    figures = {
        "workers": args.workers, "clients": args.clients, "skill_bytes": len(synthetic_skill(0)),
        "load_average_before": [round(x, 2) for x in load_before],
        # Every 201 is a scan committed to the database, so acknowledged/s is stored/s.
        "saturation": {"scans_stored_per_s": round(len(sat.latencies) / sat_elapsed, 1),
                       "p50_ms": round(percentile(sat.latencies, 0.50) * 1000, 2),
                       "p99_ms": round(percentile(sat.latencies, 0.99) * 1000, 2),
                       "errors": sat.errors, **sat_cpu},
        "paced": {"target_rate": args.rate, "requests_due": scheduled(args.clients, args.seconds, args.rate),
                  "requests_answered": len(paced.latencies),
                  "requests_per_s": round(len(paced.latencies) / paced_elapsed, 1),
                  "p50_ms": round(percentile(paced.latencies, 0.50) * 1000, 2),
                  "p99_ms": round(percentile(paced.latencies, 0.99) * 1000, 2),
                  "max_ms": round(max(paced.latencies, default=float("nan")) * 1000, 2),
                  "errors": paced.errors, **paced_cpu},
        "rss_mb": {"total": round(max(rss_total, rss_after_saturation), 1),
                   "per_process": [round(x, 1) for x in rss_each]},
        "scans_acknowledged": len(acked_ids), "scans_stored_at_end": len(stored_ids),
        "acknowledged_but_missing": lost,
        "backup": backup, "server_exit_code": code,
        "error_samples": (sat.error_samples + paced.error_samples)[:5],
    }
    paced_fig = figures["paced"]
    due = scheduled(args.clients, args.seconds, args.rate)
    checks = {
        ">= 200 scans/s stored": figures["saturation"]["scans_stored_per_s"] >= 200,
        f"paced phase answered all {due} requests due at {args.rate:g} req/s": len(paced.latencies) == due,
        f"p99 < 100 ms at {args.clients} clients, {args.rate:g} req/s": paced_fig["p99_ms"] < 100,
        "RSS < 300 MB": figures["rss_mb"]["total"] < 300,
        "0 errors": sat.errors + paced.errors == 0,
        "every acknowledged scan stored": lost == 0,
        "backup restores every acknowledged scan": bool(backup["ok"]),
        "graceful exit": code == 0,
    }
    if args.rate < 200 or args.clients < 50 or args.workers != 2:
        print("note: not the target configuration (50 clients, 200 req/s, 2 workers)", file=sys.stderr)
    if paced_fig["other_processes_cpu_percent"] > 20:
        print(f"note: other processes used {paced_fig['other_processes_cpu_percent']}% CPU (of 200%) "
              "during the paced phase; its latency figures are pessimistic", file=sys.stderr)
    figures["checks"] = checks
    text = json.dumps(figures, indent=2)
    print(text)
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    if args.json:
        args.json.write_text(text + "\n")
    hard = ("0 errors", "every acknowledged scan stored", "backup restores every acknowledged scan")
    return 0 if all(checks[h] for h in hard) else 1


if __name__ == "__main__":
    sys.exit(main())
