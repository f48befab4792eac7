"""The ``malwar`` command: thin shells over the library.

Each command module registers itself on ``app``; adding a command touches one file.
"""

from __future__ import annotations

import importlib
import pkgutil

from malwar.cli.app import app


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name not in ("app",) and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def main() -> None:
    _discover()
    app()


__all__ = ["app", "main"]
