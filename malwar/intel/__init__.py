"""Threat intelligence: known campaigns and their indicators, matched exactly.

The bundled pack (``pack.json``, versioned) is the floor; the server adds the
indicators stored in its database. A match is always a whole token (an IP, a
host, a URL prefix, an archive name, a password, a handle, a package name, a
hash), never a bare substring of prose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources

INDICATOR_KINDS = (
    "ips", "domains", "urls", "url_prefixes", "archive_names", "archive_passwords",
    "actor_handles", "packages", "sha256",
)



@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    description: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IntelMatch:
    offset: int
    kind: str
    value: str
    campaign: str


@dataclass
class IntelIndex:
    version: str = "empty"
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    indicators: dict[str, dict[str, str]] = field(
        default_factory=lambda: {k: {} for k in INDICATOR_KINDS})

    @classmethod
    def bundled(cls) -> IntelIndex:
        raw = resources.files("malwar.intel").joinpath("pack.json").read_text("utf-8")
        return cls.from_pack(json.loads(raw))

    @classmethod
    def from_pack(cls, pack: dict[str, object]) -> IntelIndex:
        index = cls(version=str(pack.get("version", "unknown")))
        for entry in pack.get("campaigns", []):  # type: ignore[attr-defined]
            camp = Campaign(entry["id"], entry.get("name", entry["id"]), entry.get("description", ""),
                            tuple(entry.get("references", ())))
            index.campaigns[camp.id] = camp
            for kind, values in entry.get("indicators", {}).items():
                index.add(kind, values, camp.id)
        return index

    def add(self, kind: str, values: Iterable[str], campaign: str) -> None:
        if kind not in self.indicators:
            raise ValueError(f"unknown indicator kind {kind!r}; expected one of {', '.join(INDICATOR_KINDS)}")
        bucket = self.indicators[kind]
        for value in values:
            v = value.strip()
            if kind != "archive_passwords":
                v = v.lower()
            if kind in ("urls", "url_prefixes"):
                v = re.sub(r"^[a-z]+://", "", v)
            if v:
                bucket[v] = campaign

    def add_campaign(self, campaign: Campaign) -> None:
        self.campaigns.setdefault(campaign.id, campaign)

    @property
    def empty(self) -> bool:
        return not any(self.indicators.values())

    def match(self, text: str) -> Iterator[IntelMatch]:
        """Every indicator in ``text``, each as a whole token.

        Each indicator is found by plain substring search (C speed, linear) and then
        kept only when it stands as a token: an IP not inside a longer number, a
        domain not inside a longer name, a handle only as a URL path segment or an
        @mention, a password only where the text gives a password.
        """
        lower = text.lower()
        ind = self.indicators
        for kind, label in (("ips", "ip"), ("sha256", "sha256"), ("packages", "package"),
                            ("archive_names", "archive")):
            for value, camp in ind[kind].items():
                for pos in _occurrences(lower, value):
                    if _is_token(lower, pos, pos + len(value), "." if kind == "ips" else ""):
                        yield IntelMatch(pos, label, value, camp)
        for value, camp in ind["domains"].items():
            for pos in _occurrences(lower, value):
                before = lower[pos - 1] if pos else " "
                if (before == "." or not _word_char(before)) and _is_token(lower, pos, pos + len(value), "",
                                                                             check_before=False):
                    yield IntelMatch(pos, "domain", value, camp)
        for kind in ("urls", "url_prefixes"):
            for value, camp in ind[kind].items():
                for pos in _occurrences(lower, value):
                    before = lower[max(0, pos - 3):pos]
                    if pos == 0 or before == "://" or not _word_char(lower[pos - 1]):
                        if kind == "urls" and not _is_token(lower, pos, pos + len(value), "", check_before=False):
                            continue
                        yield IntelMatch(pos, "url", value, camp)
        for value, camp in ind["actor_handles"].items():
            for pos in _occurrences(lower, value):
                if pos and lower[pos - 1] in "/@" and _is_token(lower, pos, pos + len(value), "",
                                                                check_before=False):
                    yield IntelMatch(pos, "actor", value, camp)
        for value, camp in ind["archive_passwords"].items():
            for pos in _occurrences(text, value):
                before = text[pos - 1] if pos else " "
                if before in _PASSWORD_LEADS and _is_token(text, pos, pos + len(value), "", check_before=False) \
                        and _PASSWORD_CUE.search(lower[max(0, pos - 80):pos]):
                    yield IntelMatch(pos, "password", value, camp)


_PASSWORD_CUE = re.compile(
    r"(?:pass(?:word|wd|phrase)?|pwd)\W{0,12}(?:is\W{1,3})?$"
    r"|\b(?:unzip|7z|7za|7zz|unrar|rar)\b[^\n]{0,60}\s-p\s?$")


# What may stand right before a password: a space, a quote, a separator, or the -p of 7z.
_PASSWORD_LEADS = frozenset(" \t\"'`:=*(pP")


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def _occurrences(haystack: str, needle: str) -> Iterator[int]:
    pos = haystack.find(needle)
    while pos != -1:
        yield pos
        pos = haystack.find(needle, pos + 1)


def _is_token(text: str, start: int, end: int, extra: str, check_before: bool = True) -> bool:
    """True when text[start:end] is not glued to more of the same kind of token."""
    if check_before and start > 0:
        ch = text[start - 1]
        if _word_char(ch) or ch in extra:
            return False
    if end < len(text):
        ch = text[end]
        if _word_char(ch):
            return False
        if ch in extra and end + 1 < len(text) and text[end + 1].isalnum():
            return False
        if ch == "." and end + 1 < len(text) and text[end + 1].isalnum() and extra == "":
            # "evil.com" must not match inside "evil.company"; a sentence-ending dot is fine.
            return False
    return True
