"""The import direction: analysis stages never reach up into the shells around them.

The CLI, the API and the store sit on top of the pipeline; if a stage imported
one of them, the engine could no longer run without a server or a terminal.
The check walks the AST, so lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import malwar

PACKAGE = Path(malwar.__file__).parent
STAGES = ("ingest", "parse", "rules", "detect", "score", "intel", "report")
FORBIDDEN = ("malwar.cli", "malwar.api", "malwar.store")


def stage_modules() -> list[Path]:
    paths: list[Path] = []
    for stage in STAGES:
        package = PACKAGE / stage
        if package.is_dir():
            paths += sorted(package.rglob("*.py"))
        elif (PACKAGE / f"{stage}.py").exists():
            paths.append(PACKAGE / f"{stage}.py")
    return paths


def imported_modules(path: Path) -> list[tuple[int, str]]:
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        module = module.rsplit(".", 1)[0] + "._"  # relative imports resolve against the package itself
    return imports_in(path.read_text("utf-8"), module)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``, read as the module named ``package``."""
    tree = ast.parse(source)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level)[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            out += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.append((node.lineno, node.args[0].value))
    return out


def is_forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_every_stage_is_found() -> None:
    found = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in stage_modules()}
    assert set(STAGES) <= found


@pytest.mark.parametrize("path", stage_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_stage_never_imports_cli_api_or_store(path: Path) -> None:
    bad = [f"line {n}: {m}" for n, m in imported_modules(path) if is_forbidden(m)]
    assert not bad, f"{path.relative_to(PACKAGE)} imports a shell module: {bad}"


def test_models_import_no_other_malwar_module() -> None:
    modules = [m for _, m in imported_modules(PACKAGE / "models.py")]
    assert not [m for m in modules if m.startswith("malwar")]


def test_the_checker_sees_lazy_and_relative_imports() -> None:
    source = ("def f():\n    from ..cli import app\n    import malwar.store.db\n    from malwar import api\n"
              "    importlib.import_module('malwar.cli.scan')\n")
    modules = [m for _, m in imports_in(source, "malwar.report.probe")]
    assert [m for m in modules if is_forbidden(m)] == [
        "malwar.cli", "malwar.cli.app", "malwar.store.db", "malwar.api", "malwar.cli.scan"]
