"""``malwar scan``: scan skill folders, files, folders of skills, or stdin."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path

import typer

from malwar.cli.app import app, fail
from malwar.ingest import InputError
from malwar.models import ScanResult, Verdict
from malwar.pipeline import Scanner, ScanOptions, scan_many
from malwar.report import render
from malwar.suppress import BaselineError, load_baseline


class OutputFormat(str, Enum):
    console = "console"
    json = "json"
    sarif = "sarif"


class FailOn(str, Enum):
    caution = "caution"
    suspicious = "suspicious"
    malicious = "malicious"
    never = "never"


def _progress(enabled: bool):
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    progress = Progress("scanning", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=True)
    task = progress.add_task("scan", total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def run_scan(targets: list[str], options: ScanOptions, jobs: int | None,
             show_progress: bool) -> tuple[list[ScanResult], list[str]]:
    results: list[ScanResult] = []
    errors: list[str] = []
    scanner: Scanner | None = None
    paths = [t for t in targets if t != "-"]
    for t in targets:
        if t == "-":
            scanner = scanner or Scanner(options)
            data = sys.stdin.buffer.read(options.limits.max_file_bytes + 1)
            results.append(scanner.scan_text(data, "SKILL.md", "<stdin>"))
    progress, update = _progress(show_progress and len(paths) > 0)
    if progress is not None:
        progress.start()
    try:
        for item in scan_many(paths, options, jobs=jobs, on_result=update):
            if isinstance(item, InputError):
                errors.append(str(item))
            else:
                results.append(item)
    finally:
        if progress is not None:
            progress.stop()
    return results, errors


@app.command()
def scan(
    targets: list[str] = typer.Argument(..., metavar="TARGET...",
                                        help="Skill folders, Markdown files, folders of skills, or - for stdin."),
    fmt: OutputFormat = typer.Option(OutputFormat.console, "--format", "-f", help="Report format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file."),
    fail_on: FailOn = typer.Option(FailOn.suspicious, "--fail-on",
                                   help="Exit 1 when any skill reaches this verdict."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes (0 = all cores)."),
    baseline: Path | None = typer.Option(None, "--baseline", "-b",
                                         help="Operator baseline file of suppressed fingerprints."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress",
                                         help="Progress bar on stderr (default: when stderr is a terminal)."),
) -> None:
    """Scan skills and report a verdict, a risk score and findings for each.

    Exit codes: 0 below the --fail-on verdict, 1 at or above it, 2 for usage or input errors.
    """
    if targets.count("-") > 1:
        fail("stdin (-) can be given only once")
    try:
        options = ScanOptions(baseline=load_baseline(baseline) if baseline else None)
    except BaselineError as exc:
        fail(str(exc))
    show = progress if progress is not None else sys.stderr.isatty()
    results, errors = run_scan(targets, options, jobs or os.cpu_count(), show)
    from malwar.intel import IntelIndex

    text = render(results, fmt.value, IntelIndex.bundled().version)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    elif fmt is OutputFormat.console and sys.stdout.isatty():
        from rich.console import Console

        from malwar.report.console import print_results

        print_results(Console(highlight=False), results)
    else:
        sys.stdout.write(text)
    for err in errors:
        sys.stderr.write(f"malwar: error: {err}\n")
    if errors:
        raise typer.Exit(2)
    if fail_on is not FailOn.never:
        threshold = Verdict(fail_on.value)
        if any(r.verdict.at_least(threshold) for r in results):
            raise typer.Exit(1)
