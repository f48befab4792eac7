"""``malwar baseline``: operator-owned suppressions of reviewed findings."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from malwar.cli.app import app, fail
from malwar.cli.scan import run_scan
from malwar.pipeline import ScanOptions
from malwar.suppress import BaselineError, build_baseline, load_baseline

baseline_app = typer.Typer(help="Create and inspect operator baselines (reviewed, suppressed findings).",
                           no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("create")
def create(
    targets: list[str] = typer.Argument(..., metavar="TARGET...", help="Skills whose current findings to accept."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why these findings are accepted (required)."),
    output: Path = typer.Option(Path("malwar-baseline.json"), "--output", "-o", help="Baseline file to write."),
    expires: str | None = typer.Option(None, "--expires", help="YYYY-MM-DD after which the entries lapse."),
    merge: bool = typer.Option(False, "--merge", help="Keep the entries already in OUTPUT."),
) -> None:
    """Scan TARGETs and write every finding's fingerprint, with REASON, to a baseline file."""
    if "-" in targets:
        fail("a baseline is built from files on disk, not stdin")
    results, errors = run_scan(targets, ScanOptions(), os.cpu_count(), False)
    if errors:
        fail(errors[0])
    try:
        doc = build_baseline(results, reason, expires)
        entries = doc["entries"]
        assert isinstance(entries, list)  # build_baseline always writes a list of entries
        if merge and output.exists():
            old = load_baseline(output)
            known = {e["fingerprint"] for e in entries}
            for entry in old.entries.values():
                if entry.fingerprint not in known:
                    entries.append({
                        "fingerprint": entry.fingerprint, "rule_id": entry.rule_id, "file": entry.file,
                        "evidence": entry.evidence, "reason": entry.reason,
                        **({"expires": entry.expires} if entry.expires else {}),
                    })
    except BaselineError as exc:
        fail(str(exc))
    try:
        output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    sys.stderr.write(f"malwar: wrote {len(entries)} entries to {output}\n")


@baseline_app.command("show")
def show(path: Path = typer.Argument(..., help="Baseline file.")) -> None:
    """Validate a baseline file and list its entries."""
    try:
        baseline = load_baseline(path)
    except BaselineError as exc:
        fail(str(exc))
    for entry in sorted(baseline.entries.values(), key=lambda e: (e.file, e.rule_id, e.fingerprint)):
        expiry = f" (expires {entry.expires})" if entry.expires else ""
        typer.echo(f"{entry.fingerprint}  {entry.rule_id}  {entry.file}  {entry.reason}{expiry}")
