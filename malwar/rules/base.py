"""The rule contract: one small class per technique, discovered automatically.

A rule declares its identity (stable ``id``, kebab-case ``name``), its
``category``, default ``severity`` and ``confidence``, literal ``keywords``
(lower-case; the rule only runs on a file whose normalised, lower-cased text
contains one of them), and ``matches`` / ``ignores`` examples that the test
suite runs. The class docstring is the rule's documentation page and must have
the sections ``What``, ``Why``, ``Example`` and ``Benign look-alike``.

Most rules only set ``pattern``; others override ``check``. Every pattern must
run in linear time: stay on one line with ``[^\\n]`` and bound every repeat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from malwar.intel import IntelIndex
from malwar.models import Category, Confidence, FileKind, Severity, Skill
from malwar.parse.document import Document

TEXT_FILES = frozenset({FileKind.MARKDOWN, FileKind.SCRIPT, FileKind.TEXT})
CODE_FILES = frozenset({FileKind.MARKDOWN, FileKind.SCRIPT})
DOC_SECTIONS = ("What", "Why", "Example", "Benign look-alike")


class RuleError(Exception):
    """A rule definition is broken (duplicate ID, missing docs...)."""


_EVIDENCE_KEEP = 1000


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports; the detect stage turns it into a ``Finding``."""

    line: int
    evidence: str
    severity: Severity | None = None
    confidence: Confidence | None = None
    title: str | None = None
    campaign: str | None = None
    end_line: int | None = None
    context: str | None = None
    file: str | None = None  # skill-level rules name the file; document rules leave it None

    def __post_init__(self) -> None:
        # Evidence is an excerpt: never hold a megabyte line per hit (a hostile file has many).
        if len(self.evidence) > _EVIDENCE_KEEP:
            object.__setattr__(self, "evidence", self.evidence[:_EVIDENCE_KEEP])


_REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    category: ClassVar[Category]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence]
    keywords: ClassVar[tuple[str, ...]] = ()
    # Optional second filter: a candidate line must also hold one of these (lower-case).
    line_also: ClassVar[tuple[str, ...]] = ()
    pattern: ClassVar[re.Pattern[str] | None] = None
    file_kinds: ClassVar[frozenset[FileKind]] = TEXT_FILES
    # Downgrade hits inside warnings and documented attack examples.
    context_sensitive: ClassVar[bool] = True
    # Also run on decoded payload layers (base64, hex, ...).
    scan_layers: ClassVar[bool] = True
    # Examples, run by the tests: a string is the text of a SKILL.md; a dict maps file
    # paths to contents and describes a whole skill folder.
    matches: ClassVar[tuple[str | dict[str, str | bytes], ...]] = ()
    ignores: ClassVar[tuple[str | dict[str, str | bytes], ...]] = ()
    # Skill-level rules implement check_skill() and are not run per document.
    skill_level: ClassVar[bool] = False
    references: ClassVar[tuple[str, ...]] = ()
    preview: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.id:
            return  # an abstract helper base
        if cls.id in _REGISTRY and _REGISTRY[cls.id] is not cls:
            other = _REGISTRY[cls.id]
            raise RuleError(f"duplicate rule id {cls.id}: {other.__module__}.{other.__name__} "
                            f"and {cls.__module__}.{cls.__name__}")
        _REGISTRY[cls.id] = cls

    # -- running ---------------------------------------------------------------
    def __init__(self, intel: IntelIndex | None = None) -> None:
        # The threat-intelligence index (bundled pack plus database), given by the engine.
        self.intel = intel
        self._gate = tuple(self.gate_words())  # fixed per rule: computed once, not per document

    def gate_words(self) -> tuple[str, ...]:
        """The literal words that gate this rule; the engine indexes them once per document."""
        return self.keywords

    def applies_to(self, doc: Document) -> bool:
        if doc.layer is not None and not self.scan_layers:
            return False
        if doc.layer is None and doc.kind not in self.file_kinds:
            return False
        words = self._gate
        return not words or any(doc.has(k) for k in words)

    def candidates(self, doc: Document) -> list[tuple[int, int]]:
        """Spans of the lines holding a gate word (long lines as bounded windows)."""
        return candidate_lines(doc, self._gate)

    def check_skill(self, skill: Skill, docs: list[Document]) -> Iterator[Hit]:
        """Skill-level checks (files, archives, coverage). Document rules leave this empty."""
        return iter(())

    def check(self, doc: Document) -> Iterator[Hit]:
        if self.pattern is None:
            raise NotImplementedError(f"{type(self).__name__} needs a pattern or a check()")
        for m in self.finditer(doc):
            yield Hit(doc.line_of(m.start()), m.group(0))

    def finditer(self, doc: Document, pattern: re.Pattern[str] | None = None) -> Iterator[re.Match[str]]:
        """Run a pattern only on the lines that hold one of the rule's keywords.

        Finding the keywords is a C-speed substring search; the regex then sees a
        few lines instead of the whole file. Patterns therefore match within a line.
        """
        pat = pattern or self.pattern
        assert pat is not None
        view = doc.view
        if not self._gate:
            yield from pat.finditer(view)
            return
        lower = doc.lower
        also = self.line_also
        for start, end in self.candidates(doc):
            if also and not any(lower.find(a, start, end) != -1 for a in also):
                continue
            yield from pat.finditer(view, start, end)

    # -- documentation -----------------------------------------------------------
    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into its titled sections (``What:``, ``Why:``...)."""
        text = (cls.__doc__ or "").strip("\n")
        lines = text.splitlines()
        indent = min((len(s) - len(s.lstrip()) for s in lines[1:] if s.strip()), default=0)
        body = "\n".join([lines[0].strip()] + [s[indent:] for s in lines[1:]]) if lines else ""
        sections: dict[str, str] = {}
        current = "Summary"
        buf: list[str] = []
        for line in body.splitlines():
            head = line.rstrip(":").strip()
            if line.endswith(":") and head in (*DOC_SECTIONS, "References"):
                sections[current] = "\n".join(buf).strip()
                current, buf = head, []
            else:
                buf.append(line)
        sections[current] = "\n".join(buf).strip()
        return sections


def candidate_lines(doc: Document, keywords: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) offsets of every line of ``doc`` that contains one of ``keywords``."""
    return doc.lines_with(tuple(keywords))


def index_words(rules: list[Rule]) -> set[str]:
    """Every literal a rule declares for gating: the detect stage indexes them in one pass."""
    words: set[str] = set()
    for rule in rules:
        words.update(w for w in rule._gate if isinstance(w, str) and w)
        words.update(w for w in getattr(rule, "index_words", ()) if isinstance(w, str) and w)
    return words


def all_rules() -> list[type[Rule]]:
    """Every registered rule class, sorted by ID. Importing ``malwar.rules`` discovers them."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_rule(rule_id: str) -> type[Rule] | None:
    return _REGISTRY.get(rule_id)


def line_regex(body: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """Compile a rule pattern; a helper so every rule compiles the same way."""
    return re.compile(body, flags)
