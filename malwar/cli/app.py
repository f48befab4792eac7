"""The Typer application object and the helpers every command shares."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from malwar import __version__

app = typer.Typer(
    name="malwar",
    help="Find malware hidden in agentic AI skill files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr and a non-zero exit: usage and input errors are code 2."""
    sys.stderr.write(f"malwar: error: {message}\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"malwar {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Find malware hidden in agentic AI skill files."""
