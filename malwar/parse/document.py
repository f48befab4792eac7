"""The parsed form of one file: structure with line spans, and the context of every line."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from malwar.models import FileKind
from malwar.parse.keywords import KeywordIndex


@dataclass(frozen=True, slots=True)
class FrontMatter:
    raw: str
    start_line: int
    end_line: int
    data: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Section:
    level: int
    title: str
    line: int
    end_line: int
    parent: int = -1  # index of the enclosing section in Document.sections


@dataclass(frozen=True, slots=True)
class CodeBlock:
    language: str
    start_line: int  # the opening fence
    end_line: int  # the closing fence (or last line when unclosed)
    text: str  # the content between the fences

    @property
    def first_content_line(self) -> int:
        return self.start_line + 1


@dataclass(frozen=True, slots=True)
class InlineCode:
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    target: str
    line: int
    image: bool = False


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    start_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Context:
    """What surrounds a line: the rules use it to tell a warning from an instruction."""

    section: str  # heading path, lower-case, " > " separated ("" before any heading)
    in_code: bool
    code_language: str | None
    negated: bool  # inside a "never do this" warning or a documented attack example
    install_step: bool  # a prerequisites / setup / "run this first" step


# Words that mark text as a warning or a documented attack example, wherever they stand.
_NEGATIVE_CUES = re.compile(
    r"\b(?:never|do\s+not|don'?t|must\s+not|should\s+not|shouldn'?t|avoid|warning|beware|"
    r"dangerous|malicious|malware|attacks?|attackers?|red\s+flags?|anti-?patterns?|"
    r"unsafe|insecure|vulnerab\w*|exploit\w*|suspicious|forbidden|prohibited|refuse|"
    r"reject\w*|bad\s+example|example\s+(?:of\s+)?(?:an?\s+)?(?:attack|payload|injection)|"
    r"phishing|scam\w*|wrong)\b|❌|⛔|🚫",
    re.IGNORECASE,
)
# Topics that make a whole section documentation about attacks; read in headings only,
# so a dropper cannot launder one command by mentioning "security" next to it.
_TOPIC_CUES = re.compile(
    r"\b(?:detect\w*|block\w*|flag(?:s|ged)?|scann\w*|audit\w*|indicators?|iocs?|signatures?|"
    r"threats?|security|what\s+to\s+look\s+for|patterns?\s+to\s+(?:watch|look)|"
    r"examples?\s+of\s+(?:malicious|attacks?))\b",
    re.IGNORECASE,
)

# Negative words used for emphasis, not warning: "don't forget to run", "do not skip this step".
_EMPHASIS = re.compile(
    r"\b(?:do\s+not|don'?t|never|must\s+not)\s+(?:forget|skip|miss|ignore|omit|worry)\b|"
    r"\bwithout\s+(?:fail|exception)\b|\bnever\s+(?:mention|tell|reveal|disclose|inform)\b|"
    r"\b(?:do\s+not|don'?t)\s+(?:mention|tell|reveal|disclose|inform|ask|notify|show)\b",
    re.IGNORECASE,
)


class _Cue:
    """A cue pattern behind a literal prefilter: most lines hold none of the stems, and a
    handful of substring tests is far cheaper than a case-insensitive alternation."""

    def __init__(self, pattern: re.Pattern[str], stems: tuple[str, ...]):
        self.pattern = pattern
        self.stems = stems

    def search(self, text: str) -> bool:
        if not text:
            return False
        lower = text.lower()
        return any(s in lower for s in self.stems) and self.pattern.search(text) is not None


NEGATIVE = _Cue(_NEGATIVE_CUES, (
    "never", "not", "n't", "avoid", "warn", "bewar", "danger", "malic", "malware", "attack",
    "red flag", "pattern", "unsafe", "insecure", "vulnerab", "exploit", "suspic", "forbid",
    "prohibit", "refus", "reject", "bad example", "example", "phish", "scam", "wrong",
    "❌", "⛔", "🚫"))
EMPHASIS = _Cue(_EMPHASIS, ("not", "n't", "never", "without"))
TOPIC = _Cue(_TOPIC_CUES, (
    "detect", "block", "flag", "scann", "audit", "indicator", "ioc", "signature", "threat",
    "security", "look for", "to watch", "to look", "example"))


def is_negative(text: str) -> bool:
    """True when ``text`` reads as a warning or a documented attack, not as emphasis."""
    if not NEGATIVE.search(text):
        return False
    if EMPHASIS.search(text):
        # Strip the emphatic phrases and look again: "Don't forget: never share keys" stays negative.
        return NEGATIVE.search(_EMPHASIS.sub(" ", text))
    return True


_INSTALL_CUES = re.compile(
    r"\b(?:prerequisites?|pre-?requisites?|requirements?|setup|set\s+up|install\w*|"
    r"getting\s+started|quick\s*start|before\s+(?:you\s+)?(?:use|using|start|begin|running)|"
    r"first[,\s]+run|run\s+this\s+first|required|dependenc\w+|bootstrap|initiali[sz]\w*|"
    r"activate|enable|one-?time|paste\s+(?:this|the\s+following)|terminal)\b",
    re.IGNORECASE,
)
INSTALL = _Cue(_INSTALL_CUES, (
    "requisit", "requirement", "setup", "set up", "install", "getting started", "quick", "before",
    "first", "required", "dependenc", "bootstrap", "initiali", "activate", "enable", "one-time",
    "onetime", "paste", "terminal"))


# Lines longer than this are handed to rules as windows around their keywords.
LONG_LINE = 4096
_WINDOW_MARGIN = 1000


def _windows(hits: list[int], line_start: int, line_end: int) -> list[tuple[int, int]]:
    """Merged windows of +-_WINDOW_MARGIN around sorted hit offsets, each at most LONG_LINE long."""
    out: list[tuple[int, int]] = []
    cur_start = cur_end = -1
    for pos in hits:
        w_start = max(line_start, pos - _WINDOW_MARGIN)
        w_end = min(line_end, pos + _WINDOW_MARGIN)
        if cur_start >= 0 and w_start <= cur_end and w_end - cur_start <= LONG_LINE:
            cur_end = max(cur_end, w_end)
            continue
        if cur_start >= 0:
            out.append((cur_start, cur_end))
        cur_start, cur_end = w_start, w_end
    if cur_start >= 0:
        out.append((cur_start, cur_end))
    return out


# Context cues are read from at most this much of a line: enough for any real
# sentence, and a megabyte-long line costs no more than a short one.
_CUE_WINDOW = 2000


@dataclass
class Document:
    """One file's text and structure. Decoded payloads are Documents too, with a ``layer``."""

    path: str
    kind: FileKind
    language: str
    text: str
    view: str
    layer: str | None = None
    origin_line: int | None = None  # for decoded layers: the line of the parent file
    front_matter: FrontMatter | None = None
    sections: list[Section] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    parent_context: Context | None = None  # decoded layers inherit where their blob stood
    keyword_index: KeywordIndex | None = None  # set by the detect stage before rules run
    _context_cache: dict[int, Context] = field(default_factory=dict, repr=False)

    # -- text access -------------------------------------------------------------
    @cached_property
    def lower(self) -> str:
        """``view`` lower-cased with offsets unchanged (rules map matches back by offset)."""
        lower = self.view.lower()
        if len(lower) != len(self.view):
            # A few characters lower-case to two ("İ"); keep those as they are.
            lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in self.view)
        return lower

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        find = self.view.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        return starts

    @cached_property
    def lines(self) -> list[str]:
        return self.view.split("\n")

    @cached_property
    def raw_lines(self) -> list[str]:
        return self.text.split("\n")

    # -- keyword lookups shared by all rules ----------------------------------------
    @cached_property
    def _indexed(self) -> dict[str, list[int]]:
        return self.keyword_index.scan(self.lower) if self.keyword_index is not None else {}

    def positions(self, keyword: str) -> list[int]:
        """Start offsets of ``keyword`` (lower-case) in ``lower``; one shared pass for indexed words."""
        if self.keyword_index is not None and keyword in self.keyword_index.words:
            return self._indexed.get(keyword, [])
        cache = self._extra_positions
        found = cache.get(keyword)
        if found is None:
            found = []
            lower = self.lower
            pos = lower.find(keyword)
            while pos != -1:
                found.append(pos)
                pos = lower.find(keyword, pos + 1)
            cache[keyword] = found
        return found

    @cached_property
    def _extra_positions(self) -> dict[str, list[int]]:
        return {}

    def has(self, keyword: str) -> bool:
        return bool(self.positions(keyword))

    def lines_with(self, keywords: tuple[str, ...]) -> list[tuple[int, int]]:
        """(start, end) offsets of every line holding one of ``keywords``, in order.

        A line longer than ``LONG_LINE`` (minified code, hostile padding) is not
        returned whole: it becomes windows of at most ``LONG_LINE`` characters
        around the keywords, so no rule ever works on megabytes at a time and the
        work stays linear in the size of the file.
        """
        cache = self._lines_cache
        found = cache.get(keywords)
        if found is not None:
            return found
        starts = self.line_starts
        size = len(self.view)
        spans: dict[int, int] = {}
        long_hits: dict[int, list[int]] = {}
        for kw in keywords:
            for pos in self.positions(kw):
                i = bisect_right(starts, pos) - 1
                start = starts[i]
                end = (starts[i + 1] - 1) if i + 1 < len(starts) else size
                if end - start <= LONG_LINE:
                    spans[start] = end
                else:
                    long_hits.setdefault(start, []).append(pos)
        for start, hits in long_hits.items():
            end = (starts[bisect_right(starts, start)] - 1) if bisect_right(starts, start) < len(starts) else size
            for w_start, w_end in _windows(sorted(hits), start, end):
                spans[w_start] = w_end
        found = sorted(spans.items())
        cache[keywords] = found
        return found

    @cached_property
    def _lines_cache(self) -> dict[tuple[str, ...], list[tuple[int, int]]]:
        return {}

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset in ``view``."""
        return bisect_right(self.line_starts, offset)

    def line_around(self, offset: int) -> str:
        """The line holding ``offset``; for a line over LONG_LINE, a window around the offset."""
        lineno = self.line_of(offset)
        start = self.line_starts[lineno - 1]
        end = self.line_starts[lineno] - 1 if lineno < len(self.line_starts) else len(self.view)
        if end - start > LONG_LINE:
            start, end = max(start, offset - _WINDOW_MARGIN), min(end, offset + _WINDOW_MARGIN)
        return self.view[start:end]

    def line(self, lineno: int) -> str:
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return ""

    @property
    def is_markdown(self) -> bool:
        return self.kind is FileKind.MARKDOWN

    @property
    def is_script(self) -> bool:
        return self.kind is FileKind.SCRIPT

    # -- structure found on demand (most files never need it) ------------------------
    @cached_property
    def links(self) -> list[Link]:
        from malwar.parse.markdown import find_links

        return find_links(self) if self.kind is FileKind.MARKDOWN else []

    @cached_property
    def inline_code(self) -> list[InlineCode]:
        from malwar.parse.markdown import find_inline_code

        return find_inline_code(self) if self.kind is FileKind.MARKDOWN else []

    @cached_property
    def comments(self) -> list[Comment]:
        from malwar.parse.markdown import find_comments

        return find_comments(self) if "<!--" in self.view else []

    # -- structure lookups -----------------------------------------------------
    @cached_property
    def _code_starts(self) -> list[int]:
        return [b.start_line for b in self.code_blocks]

    def code_block_at(self, lineno: int) -> CodeBlock | None:
        """The fenced block a line belongs to (its fences included)."""
        i = bisect_right(self._code_starts, lineno) - 1
        if i >= 0 and lineno <= self.code_blocks[i].end_line:
            return self.code_blocks[i]
        return None

    @cached_property
    def _section_lines(self) -> list[int]:
        return [s.line for s in self.sections]

    def section_at(self, lineno: int) -> list[Section]:
        """The heading path that contains a line, outermost first (bisect, then parents)."""
        i = bisect_right(self._section_lines, lineno) - 1
        sections = self.sections
        while i >= 0 and sections[i].end_line < lineno:
            i = sections[i].parent
        path: list[Section] = []
        while i >= 0:
            path.append(sections[i])
            i = sections[i].parent
        path.reverse()
        return path

    def context(self, lineno: int) -> Context:
        cached = self._context_cache.get(lineno)
        if cached is not None:
            return cached
        ctx = self._compute_context(lineno)
        self._context_cache[lineno] = ctx
        return ctx

    def _lead_in(self, lineno: int, count: int = 2) -> str:
        """The nearest non-empty lines before ``lineno`` (stopping at a heading)."""
        return " ".join(self.line(i)[:_CUE_WINDOW].strip() for i in self._lead_lines(lineno, count))

    def _lead_lines(self, lineno: int, count: int) -> list[int]:
        out: list[int] = []
        i = lineno - 1
        while i >= 1 and len(out) < count:
            text = self.line(i)[:_CUE_WINDOW].lstrip()
            if text.strip() and not text.startswith(("```", "~~~")):
                out.append(i)
                if text.startswith("#"):
                    break
            i -= 1
        return out

    def _cue(self, cue: str, lineno: int) -> bool:
        """A cue test on one line, memoised: neighbouring lines share their lead-ins."""
        key = (cue, lineno)
        found = self._cue_cache.get(key)
        if found is None:
            text = self.line(lineno)[:_CUE_WINDOW]
            found = is_negative(text) if cue == "negative" else INSTALL.search(text)
            self._cue_cache[key] = found
        return found

    @cached_property
    def _cue_cache(self) -> dict[tuple[str, int], bool]:
        return {}

    @cached_property
    def _heading_cache(self) -> dict[tuple[int, ...], tuple[bool, bool]]:
        return {}

    def _headings_cues(self, path: list[Section]) -> tuple[bool, bool]:
        """(negated, install) for a heading path; computed once per section."""
        key = tuple(s.line for s in path)
        found = self._heading_cache.get(key)
        if found is None:
            # The document's title (its first, level-1 heading) names the whole skill; a
            # "Security Toolkit" title must not turn every command in it into an example.
            title = self.sections[0] if self.sections and self.sections[0].level == 1 else None
            headings = " ".join(sec.title for sec in path if sec is not title)
            heading = path[-1].title if path else ""
            found = (is_negative(headings) or TOPIC.search(headings), INSTALL.search(heading))
            self._heading_cache[key] = found
        return found

    def _compute_context(self, lineno: int) -> Context:
        if self.parent_context is not None:
            pc = self.parent_context
            return Context(pc.section, True, self.language, pc.negated, pc.install_step)
        if self.kind is not FileKind.MARKDOWN:
            negated = self.kind is not FileKind.SCRIPT and self._cue("negative", lineno)
            return Context("", self.kind is FileKind.SCRIPT, self.language, negated, False)
        path = self.section_at(lineno)
        section = " > ".join(s.title.lower() for s in path)
        block = self.code_block_at(lineno)
        lead = self._lead_lines(block.start_line, 2) if block is not None else self._lead_lines(lineno, 1)
        heading_negated, heading_install = self._headings_cues(path)
        negated = heading_negated or self._cue("negative", lineno) or any(
            self._cue("negative", i) for i in lead)
        install = heading_install or self._cue("install", lineno) or any(self._cue("install", i) for i in lead)
        return Context(section, block is not None, block.language if block else None, negated, install)
