"""A line-based Markdown reader: just the structure the rules need, with line spans.

It never raises on any input; malformed front matter is recorded as an error on
the ``FrontMatter`` value (and reported by a rule), not thrown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from malwar.parse.document import CodeBlock, Comment, Document, FrontMatter, InlineCode, Link, Section

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
        data = yaml.load(raw, Loader=_SafeLoader)  # noqa: S506 - SafeLoader subclass
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
    return data, None


def parse_front_matter(lines: list[str]) -> FrontMatter | None:
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, min(len(lines), _MAX_FRONT_MATTER_LINES)):
        if lines[i].strip() in ("---", "..."):
            raw = "\n".join(lines[1:i])
            data, error = _load_yaml(raw)
            return FrontMatter(raw, 1, i + 1, data, error)
    return FrontMatter("\n".join(lines[1:50]), 1, 1, None, "front matter is never closed with ---")


def parse_markdown(doc: Document) -> Document:
    lines = doc.lines
    fm = parse_front_matter(lines)
    doc.front_matter = fm
    start = fm.end_line if fm and fm.error is None else 0
    headings: list[tuple[int, str, int]] = []
    blocks: list[CodeBlock] = []
    fence: str | None = None
    fence_lang = ""
    fence_start = 0
    body: list[str] = []
    for idx in range(start, len(lines)):
        line = lines[idx]
        lineno = idx + 1
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and stripped.strip(fence[0]) == "":
                blocks.append(CodeBlock(fence_lang, fence_start, lineno, "\n".join(body)))
                fence = None
            else:
                body.append(line)
            continue
        if not line or line[0] not in " `~#":
            continue
        m = _FENCE.match(line)
        if m:
            fence, fence_lang, fence_start, body = m.group(1), m.group(2).lower(), lineno, []
            continue
        m = _HEADING.match(line)
        if m:
            headings.append((len(m.group(1)), m.group(2).strip().rstrip("#").strip(), lineno))
    if fence is not None:
        blocks.append(CodeBlock(fence_lang, fence_start, len(lines), "\n".join(body)))
    doc.code_blocks = blocks
    sections: list[Section] = []
    total = len(lines)
    for i, (level, title, lineno) in enumerate(headings):
        end = total
        for level2, _, line2 in headings[i + 1:]:
            if level2 <= level:
                end = line2 - 1
                break
        sections.append(Section(level, title, lineno, end))
    doc.sections = sections
    return doc


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
