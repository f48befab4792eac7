"""``malwar rules``: what the scanner looks for."""

from __future__ import annotations

import typer

from malwar.cli.app import app, fail
from malwar.rules import all_rules, get_rule

rules_app = typer.Typer(help="List and explain the detection rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def list_rules() -> None:
    """One line per rule: ID, severity/confidence, category, name."""
    for cls in all_rules():
        typer.echo(f"{cls.id}  {cls.severity.label:8} {cls.confidence.label:6} {cls.category.value:18} {cls.name}")


@rules_app.command("show")
def show_rule(rule_id: str = typer.Argument(..., help="Rule ID, e.g. MW-0101.")) -> None:
    """A rule's documentation page."""
    cls = get_rule(rule_id.upper())
    if cls is None:
        fail(f"no rule {rule_id}")
    from malwar.docsgen import rule_page

    typer.echo(rule_page(cls))
