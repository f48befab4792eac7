"""Rules: each module in this package holds a few small rule classes.

Importing this package imports every module in it, which registers every rule;
there is no second list to keep in sync.
"""

from __future__ import annotations

import importlib
import pkgutil

from malwar.rules.base import Hit, Rule, RuleError, all_rules, get_rule


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_discover()

__all__ = ["Hit", "Rule", "RuleError", "all_rules", "get_rule"]
