"""Human-readable report for a terminal, rendered with rich."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from malwar.models import ScanResult, Severity, Verdict

_VERDICT_STYLE = {
    Verdict.CLEAN: "bold green",
    Verdict.CAUTION: "bold yellow",
    Verdict.SUSPICIOUS: "bold dark_orange",
    Verdict.MALICIOUS: "bold red",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_console(results: Sequence[ScanResult], width: int = 120, color: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False)
    print_results(console, results)
    return buf.getvalue()


def print_results(console: Console, results: Sequence[ScanResult]) -> None:
    for r in results:
        head = Text()
        head.append(r.verdict.value.upper(), style=_VERDICT_STYLE[r.verdict])
        head.append(f"  risk {r.risk_score}/100  ", style="bold")
        head.append(r.target)
        console.print(head)
        active = [f for f in r.findings if f.suppression is None]
        if active:
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            table.add_column("severity")
            table.add_column("rule")
            table.add_column("title")
            table.add_column("location", overflow="fold")
            table.add_column("evidence", overflow="fold", max_width=60)
            for f in active:
                sev = Text(f"{f.severity.label}/{f.confidence.label}", style=_SEVERITY_STYLE[f.severity])
                title = f.title + (f" [{f.campaign}]" if f.campaign else "")
                if f.layer:
                    title += f" (decoded: {f.layer})"
                if f.context == "documented-example":
                    title += " (in a warning/example)"
                loc = f"{f.file}:{f.line}" if f.line else (f.file or "-")
                # Text, not str: a str cell is parsed as rich markup, and evidence is the
                # attacker's text ("[/x]" raised MarkupError, "[link=...]" made a link).
                table.add_row(sev, Text(f.rule_id), Text(title), Text(loc), Text(f.evidence))
            console.print(table)
        suppressed = len(r.findings) - len(active)
        if suppressed:
            console.print(Text(f"  {suppressed} finding(s) suppressed by the operator baseline", style="dim"))
        for err in r.errors:
            console.print(Text(f"  error: {err}", style="red"))
        console.print()
    if len(results) > 1:
        counts = {v: 0 for v in Verdict}
        for r in results:
            counts[r.verdict] += 1
        summary = Text(f"{len(results)} skills: ")
        summary.append(", ".join(f"{counts[v]} {v.value}" for v in Verdict))
        console.print(summary)
