"""``malwar eval``: score the scanner on a labelled corpus."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer

from malwar.cli.app import app, fail
from malwar.evaluate import Evaluation, ManifestError, evaluate
from malwar.models import Verdict


class EvalFormat(str, Enum):
    table = "table"
    json = "json"


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, tuple):
        return f"[{value[0]:.3f}, {value[1]:.3f}]"
    return str(value)


def print_table(ev: Evaluation, show_ids: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"malwar eval (detected = {ev.threshold.value} or worse)")
    cols = ["source", "TP", "FP", "TN", "FN", "precision", "recall", "recall 95% CI", "F1",
            "FPR", "FPR 95% CI", "malicious verdict"]
    for c in cols:
        table.add_column(c, justify="left" if c == "source" else "right")
    rows = [*sorted(ev.by_source.items()), ("overall", ev.overall)]
    for name, counts in rows:
        d = counts.as_dict()
        table.add_row(name, *(_fmt(d[k]) for k in ("tp", "fp", "tn", "fn", "precision", "recall",
                                                   "recall_ci95", "f1", "fpr", "fpr_ci95",
                                                   "malicious_verdict_rate")))
    console = Console(width=200)
    console.print(table)
    if show_ids:
        d = ev.overall.as_dict()
        for key in ("missed", "false_alarms"):
            for sample_id in d[key]:  # type: ignore[attr-defined]
                console.print(f"{key}: {sample_id}", highlight=False)


@app.command("eval")
def eval_command(
    manifest: Path = typer.Argument(..., help="manifest.csv with id,path,label,source,family,origin."),
    fmt: EvalFormat = typer.Option(EvalFormat.table, "--format", "-f"),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes (0 = all cores)."),
    detected_at: Verdict = typer.Option(Verdict.SUSPICIOUS, "--detected-at",
                                        help="Lowest verdict that counts as detected."),
    show_ids: bool = typer.Option(False, "--show-ids", help="List missed and falsely flagged sample ids."),
) -> None:
    """Score the scanner on a labelled corpus: TP/FP/TN/FN, precision, recall, F1, FPR."""
    try:
        ev = evaluate(manifest, jobs=jobs or os.cpu_count(), threshold=detected_at)
    except ManifestError as exc:
        fail(str(exc))
    if fmt is EvalFormat.json:
        sys.stdout.write(json.dumps(ev.as_dict(), indent=2) + "\n")
    else:
        print_table(ev, show_ids)
