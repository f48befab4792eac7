"""Typosquat look-ups and package parsing: tables of (input, expected)."""

from __future__ import annotations

import pytest

from malwar.rules.supply_chain import normalise, typosquat_target


@pytest.mark.parametrize(("eco", "name", "target"), [
    ("pypi", "reqeusts", "requests"),      # swap
    ("pypi", "requestss", "requests"),     # doubled letter
    ("pypi", "python3-dateutil", "python-dateutil"),
    ("pypi", "nunpy", "numpy"),            # substitution
    ("npm", "expresss", "express"),
    ("npm", "react-devtoois", "react-devtools"),  # capital I, lower-cased
    ("npm", "l0dash", "lodash"),           # 0 for o
    ("pypi", "requests", None),            # popular itself
    ("pypi", "django-rest-knox", None),    # unrelated
    ("npm", "ws", None),                   # too short to judge
])
def test_typosquat_target(eco: str, name: str, target: str | None) -> None:
    assert typosquat_target(eco, normalise(eco, name)) == target


def test_pypi_names_fold_separators() -> None:
    assert normalise("pypi", "Python_Dateutil") == "python-dateutil"
    assert normalise("npm", "Cross_Env") == "cross_env"
