"""Generate the docs pages that come from code: one page per rule, the rule index, the CLI reference.

``python -m malwar.docsgen`` writes them; ``--check`` fails (exit 1) when a
committed page differs from what the code says, which the tests and the
``docs`` nox session run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from malwar.rules import Rule, all_rules

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _example_text(example: str | dict[str, str | bytes]) -> str:
    if isinstance(example, str):
        body = example.rstrip("\n")
        return "````text\n" + body + "\n````"
    parts = []
    for path, content in example.items():
        shown = content if isinstance(content, str) else f"<{len(content)} bytes of binary data>"
        parts.append(f"`{path}`:\n\n````text\n{shown.rstrip()}\n````")
    return "\n\n".join(parts)


def rule_page(cls: type[Rule]) -> str:
    s = cls.doc_sections()
    lines = [
        f"# {cls.id} {cls.name}",
        "",
        f"**{cls.title}**",
        "",
        "| | |",
        "|---|---|",
        f"| Category | {cls.category.value} |",
        f"| Severity | {cls.severity.label} |",
        f"| Confidence | {cls.confidence.label} |",
        f"| Scope | {'whole skill' if cls.skill_level else 'every text file and decoded layer'} |",
        f"| Status | {'preview' if cls.preview else 'stable'} |",
        "",
        s.get("Summary", ""),
        "",
    ]
    for name in ("What", "Why", "Example", "Benign look-alike", "References"):
        if s.get(name):
            lines += [f"## {name}", "", s[name], ""]
    if cls.matches:
        lines += ["## Flagged (tested)", ""]
        for ex in cls.matches:
            lines += [_example_text(ex), ""]
    if cls.ignores:
        lines += ["## Not flagged (tested)", ""]
        for ex in cls.ignores:
            lines += [_example_text(ex), ""]
    return "\n".join(lines).rstrip() + "\n"


def rules_index() -> str:
    rules = all_rules()
    lines = [
        "# Rules",
        "",
        f"malwar has {len(rules)} rules. Each finding carries the rule's ID, a severity and a confidence;",
        "see [the scoring notes](../design.md#score-and-verdict) for how they combine.",
        "",
        "| ID | Name | Category | Severity | Confidence | Title |",
        "|---|---|---|---|---|---|",
    ]
    for cls in rules:
        lines.append(f"| [{cls.id}]({cls.id}.md) | {cls.name} | {cls.category.value} | "
                     f"{cls.severity.label} | {cls.confidence.label} | {cls.title} |")
    return "\n".join(lines) + "\n"


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def _param_row(param: Any) -> str:
    if _is_option(param):
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        default = param.default
        if (getattr(param, "is_flag", False) and not param.secondary_opts) or default is None or default == () or callable(default):
            shown = ""
        else:
            value = getattr(default, "value", default)
            shown = f"`{value}`"
        help_text = (param.help or "").replace("|", "\\|").replace("\n", " ")
        return f"| {names} | {help_text} | {shown} |"
    help_text = (getattr(param, "help", None) or "").replace("|", "\\|")
    return f"| `{(param.metavar or param.name or '').upper()}` (argument) | {help_text} | |"


def _command_doc(cmd: Any, path: list[str], out: list[str]) -> None:
    if hasattr(cmd, "commands"):
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            if not sub.hidden:
                _command_doc(sub, [*path, name], out)
        return
    full = " ".join(path)
    out += [f"## `{full}`", ""]
    help_text = (cmd.help or "").strip()
    if help_text:
        out += [help_text, ""]
    params = [p for p in cmd.params if not getattr(p, "hidden", False)
              and p.name not in ("help",)]
    usage_bits = [(p.metavar or (p.name or "").upper()) for p in params if not _is_option(p)]
    out += ["```", f"{full} [OPTIONS] {' '.join(usage_bits)}".rstrip(), "```", ""]
    if params:
        out += ["| Option | Description | Default |", "|---|---|---|"]
        out += [_param_row(p) for p in params]
        out.append("")


def cli_reference() -> str:
    import typer

    from malwar.cli import _discover, app

    _discover()
    command = typer.main.get_command(app)
    out = [
        "# Command-line reference",
        "",
        "Generated from the code by `python -m malwar.docsgen`; do not edit by hand.",
        "`python -m malwar` is the same program as `malwar`.",
        "",
    ]
    _command_doc(command, ["malwar"], out)
    return "\n".join(out).rstrip() + "\n"


def pages() -> dict[Path, str]:
    out = {DOCS / "rules" / "index.md": rules_index(), DOCS / "cli.md": cli_reference()}
    for cls in all_rules():
        out[DOCS / "rules" / f"{cls.id}.md"] = rule_page(cls)
    return out


def stale_pages() -> list[str]:
    """Pages whose committed text differs from the generated one, and rule pages with no rule."""
    expected = pages()
    stale = [str(p.relative_to(ROOT)) for p, text in expected.items()
             if not p.exists() or p.read_text("utf-8") != text]
    rules_dir = DOCS / "rules"
    if rules_dir.exists():
        stale += [str(p.relative_to(ROOT)) for p in rules_dir.glob("MW-*.md") if p not in expected]
    return sorted(stale)


def write_pages() -> int:
    expected = pages()
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for p in (DOCS / "rules").glob("MW-*.md"):
        if p not in expected:
            p.unlink()
    return len(expected)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        stale = stale_pages()
        if stale:
            print("stale generated docs (run `python -m malwar.docsgen`):", *stale, sep="\n  ")
            return 1
        print("generated docs are fresh")
        return 0
    print(f"wrote {write_pages()} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
