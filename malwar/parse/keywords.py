"""One pass over a document finds every rule's keywords (Aho-Corasick).

Rules gate themselves on literal keywords. Searching each keyword separately
costs one pass over the text per keyword, which with a few hundred keywords is
most of a scan; one automaton over all of them makes it one pass per document.
pyahocorasick is a small, well-kept C extension that does exactly this; without
it (an exotic platform) the index falls back to plain substring search.
"""

from __future__ import annotations

from collections.abc import Iterable

try:
    import ahocorasick
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    ahocorasick = None


class KeywordIndex:
    def __init__(self, words: Iterable[str]):
        self.words = frozenset(w for w in words if w)
        self._automaton = None
        if ahocorasick is not None and self.words:
            automaton = ahocorasick.Automaton()
            for w in sorted(self.words):
                automaton.add_word(w, w)
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, lower: str) -> dict[str, list[int]]:
        """Start offsets of every indexed word in ``lower``."""
        found: dict[str, list[int]] = {}
        if self._automaton is not None:
            for end, word in self._automaton.iter(lower):
                found.setdefault(word, []).append(end - len(word) + 1)
            return found
        for w in self.words:
            pos = lower.find(w)
            while pos != -1:
                found.setdefault(w, []).append(pos)
                pos = lower.find(w, pos + 1)
        return found
