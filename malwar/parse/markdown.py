"""A line-based Markdown reader: just the structure the rules need, with line spans.

It never raises on any input; malformed front matter is recorded as an error on
the ``FrontMatter`` value (and reported by a rule), not thrown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from malwar.parse.document import (
    CodeBlock,
    Comment,
    Document,
    FrontMatter,
    InlineCode,
    Link,
    Section,
)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`{]*)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+([^\n]{0,500})")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\(\s*<?([^)\s>]{1,2000})>?(?:\s+\"[^\"\n]{0,200}\")?\s*\)")
_INLINE_CODE = re.compile(r"(`+)([^`\n]{1,2000}?)\1")
_MAX_FRONT_MATTER_LINES = 2000


# libyaml's loader when PyYAML was built with it: ten times faster on the hot path.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(raw: str) -> tuple[dict[str, object] | None, str | None]:
    if raw.count("*") > 200 and raw.count("&") > 10:
        return None, "front matter uses too many YAML aliases"
    try:
        data = yaml.load(raw, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        return None, f"malformed YAML{where}: {problem}"
    except (ValueError, TypeError, RecursionError) as exc:
        return None, f"malformed YAML: {exc}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return None, f"front matter is a {type(data).__name__}, not a mapping"
    if _expands_beyond(data, 10_000 + len(raw)):
        return None, "front matter uses too many YAML aliases"
    return data, None


def _expands_beyond(data: object, budget: int) -> bool:
    """True when walking ``data`` visits more than ``budget`` nodes.

    Aliases load as shared references, so a "billion laughs" bomb loads fast and
    only explodes when a rule walks or prints it; recursive aliases never end.
    """
    stack = [data]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return False


def parse_front_matter(lines: list[str]) -> FrontMatter | None:
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, min(len(lines), _MAX_FRONT_MATTER_LINES)):
        if lines[i].strip() in ("---", "..."):
            raw = "\n".join(lines[1:i])
            data, error = _load_yaml(raw)
            return FrontMatter(raw, 1, i + 1, data, error)
    return FrontMatter("\n".join(lines[1:50]), 1, 1, None, "front matter is never closed with ---")


_BLOCK_START = re.compile(r"^ {0,3}(?:`{3,}|~{3,}|#{1,6}[ \t])", re.MULTILINE)


def parse_markdown(doc: Document) -> Document:
    """Front matter, fences and headings. Only lines that can open a block are visited."""
    lines = doc.lines
    fm = parse_front_matter(lines)
    doc.front_matter = fm
    first = fm.end_line if fm and fm.error is None else 0
    starts = doc.line_starts
    offset = starts[first] if first < len(starts) else len(doc.view)
    headings: list[tuple[int, str, int]] = []
    blocks: list[CodeBlock] = []
    fence: str | None = None
    fence_lang = ""
    fence_start = 0
    for m in _BLOCK_START.finditer(doc.view, offset):
        lineno = doc.line_of(m.start())
        line = lines[lineno - 1]
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                blocks.append(CodeBlock(fence_lang, fence_start, lineno,
                                        "\n".join(lines[fence_start:lineno - 1])))
                fence = None
            continue
        fm_match = _FENCE.match(line)
        if fm_match:
            fence, fence_lang, fence_start = fm_match.group(1), fm_match.group(2).lower(), lineno
            continue
        h = _HEADING.match(line)
        if h:
            headings.append((len(h.group(1)), h.group(2).strip().rstrip("#").strip(), lineno))
    if fence is not None:
        blocks.append(CodeBlock(fence_lang, fence_start, len(lines), "\n".join(lines[fence_start:])))
    doc.code_blocks = blocks
    doc.sections = _sections(headings, len(lines))
    return doc


def _sections(headings: list[tuple[int, str, int]], total: int) -> list[Section]:
    """Sections with their end lines and parents, in one pass with a stack."""
    ends: dict[int, int] = {}
    parents: list[int] = []
    stack: list[int] = []  # indexes into headings
    for i, (level, _, lineno) in enumerate(headings):
        while stack and headings[stack[-1]][0] >= level:
            ends[stack.pop()] = lineno - 1
        parents.append(stack[-1] if stack else -1)
        stack.append(i)
    return [Section(level, title, lineno, ends.get(i, total), parents[i])
            for i, (level, title, lineno) in enumerate(headings)]


def find_links(doc: Document) -> list[Link]:
    view = doc.view
    if "](" not in view:
        return []
    return [Link(m.group(1), m.group(2), doc.line_of(m.start()), m.start() > 0 and view[m.start() - 1] == "!")
            for m in _LINK.finditer(view)]


def find_inline_code(doc: Document) -> list[InlineCode]:
    if "`" not in doc.view:
        return []
    return [InlineCode(m.group(2), doc.line_of(m.start())) for m in _INLINE_CODE.finditer(doc.view)]


def find_comments(doc: Document) -> list[Comment]:
    return list(_comments(doc))


def _comments(doc: Document) -> Iterator[Comment]:
    """HTML comments by plain search: linear even for a file of unclosed ``<!--``."""
    view = doc.view
    pos = view.find("<!--")
    while pos != -1:
        end = view.find("-->", pos + 4)
        stop = len(view) if end == -1 else end
        yield Comment(view[pos + 4:stop], doc.line_of(pos), doc.line_of(stop))
        if end == -1:
            return
        pos = view.find("<!--", end + 3)
