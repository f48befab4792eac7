"""Generate the values reference of docs/deployment/kubernetes.md from values.yaml.

values.yaml is the single source: a ``# -- text`` comment (continued by further
``#`` lines) documents the key below it, ``# @section Title`` starts a table,
``# @default -- text`` replaces the literal default in the table. The page also
embeds the chart's scenario files (``charts/malwar/ci/*.yaml``, which the tests
render and validate) after ``<!-- example: PATH -->`` markers, so what the page
shows is what CI checked.

    python charts/malwar/values_reference.py --write   # update the page
    python charts/malwar/values_reference.py --check   # exit 1 when it is stale

Standard library plus PyYAML; it does not import malwar.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parent
ROOT = CHART.parent.parent
VALUES = CHART / "values.yaml"
PAGE = ROOT / "docs" / "deployment" / "kubernetes.md"
BEGIN = "<!-- BEGIN VALUES REFERENCE (generated from charts/malwar/values.yaml; do not edit) -->"
END = "<!-- END VALUES REFERENCE -->"
EXAMPLE = re.compile(r"(<!-- example: (?P<path>\S+) -->\n)```yaml\n.*?```\n", re.S)

KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):(?P<rest>.*)$")
MISSING = object()


@dataclass(frozen=True)
class Row:
    section: str
    path: str
    default: str  # markdown: a literal in backticks, or the @default text
    description: str


def _lookup(tree: Any, path: str) -> Any:
    node = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


def parse(text: str) -> list[Row]:
    """Rows in file order. Keys inside list items are part of their list's default."""
    tree = yaml.safe_load(text)
    rows: list[Row] = []
    section = ""
    stack: list[tuple[int, str]] = []  # (indent, key) of the open mappings
    doc: list[str] = []
    shown_default: str | None = None
    in_doc = False
    list_indent: int | None = None  # inside a block list owned by a key at this indent
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if stripped.startswith("# @section "):
            section, doc, in_doc = stripped[len("# @section "):].strip(), [], False
            continue
        if stripped.startswith("# @default -- "):
            shown_default = stripped[len("# @default -- "):].strip()
            continue
        if stripped.startswith("# --"):
            doc, in_doc = [stripped[4:].strip()], True
            continue
        if stripped.startswith("#"):
            if in_doc:
                doc.append(stripped[1:].strip())
            continue
        if not stripped:
            doc, in_doc, shown_default = [], False, None
            continue
        if list_indent is not None:
            if indent > list_indent or (stripped.startswith("- ") and indent == list_indent):
                continue
            list_indent = None
        match = KEY.match(line)
        if not match:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [match["key"]])
        value = _lookup(tree, path)
        if doc:
            default = shown_default if shown_default is not None else f"`{_shown(value)}`"
            rows.append(Row(section, path, default, " ".join(doc)))
        doc, in_doc, shown_default = [], False, None
        if not match["rest"].strip():
            if isinstance(value, list):
                list_indent = indent
            else:
                stack.append((indent, match["key"]))
    return rows


def undocumented(text: str, rows: list[Row]) -> list[str]:
    """Leaf keys of values.yaml that no row covers (a row on a parent covers its children)."""
    documented = {r.path for r in rows}
    missing: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in documented:
                continue
            if isinstance(value, dict) and value:
                walk(value, path + ".")
            else:
                missing.append(path)

    walk(yaml.safe_load(text), "")
    return missing


def render_reference(rows: list[Row]) -> str:
    out: list[str] = []
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            if out:
                out.append("")
            out += [f"### {section}", "", "| Key | Default | Description |", "|-----|---------|-------------|"]
        description = row.description.replace("|", "\\|")
        out.append(f"| `{row.path}` | {row.default} | {description} |")
    return "\n".join(out) + "\n"


def render_page(page: str, values_text: str) -> str:
    rows = parse(values_text)
    if BEGIN not in page or END not in page:
        raise SystemExit(f"{PAGE}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    page = f"{head}{BEGIN}\n\n{render_reference(rows)}\n{END}{tail}"

    def example(match: re.Match[str]) -> str:
        content = (ROOT / match["path"]).read_text(encoding="utf-8")
        return f"{match[1]}```yaml\n{content.rstrip()}\n```\n"

    return EXAMPLE.sub(example, page)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("--write", "--check"):
        sys.stderr.write(__doc__ or "")
        return 2
    values_text = VALUES.read_text(encoding="utf-8")
    missing = undocumented(values_text, parse(values_text))
    if missing:
        sys.stderr.write(f"values.yaml keys without a '# --' comment: {', '.join(missing)}\n")
        return 1
    current = PAGE.read_text(encoding="utf-8")
    fresh = render_page(current, values_text)
    if argv[0] == "--write":
        if fresh != current:
            PAGE.write_text(fresh, encoding="utf-8")
            print(f"updated {PAGE.relative_to(ROOT)}")
        return 0
    if fresh != current:
        sys.stderr.write(f"{PAGE.relative_to(ROOT)} is stale: run python charts/malwar/values_reference.py --write\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
