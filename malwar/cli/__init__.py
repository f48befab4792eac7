"""The ``malwar`` command: thin shells over the library.

Each command module registers itself on ``app``; adding a command touches one file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from malwar.cli.app import app


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name not in ("app",) and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def main() -> None:
    """Run the CLI; usage errors are one line on stderr and exit code 2 (no help box)."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

    _discover()
    try:
        # Without standalone mode, an Exit(code) raised by a command comes back as the return value.
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        # `malwar` or `malwar rules` alone: show the help, as a user typing it expects.
        if exc.ctx is not None:
            sys.stdout.write(exc.ctx.get_help() + "\n")
        raise SystemExit(0) from None
    except UsageError as exc:
        where = f"malwar {exc.ctx.info_name}: " if exc.ctx is not None and exc.ctx.parent else ""
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        sys.stderr.write(f"malwar: error: {where.removeprefix('malwar ')}{exc.format_message()}{hint}\n")
        raise SystemExit(2) from None
    except ClickException as exc:
        sys.stderr.write(f"malwar: error: {exc.format_message()}\n")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("malwar: interrupted\n")
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
