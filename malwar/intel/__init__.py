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

_IP = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_URL = re.compile(r"\b(?:https?|ftp)://([^\s\"'`<>()\[\]{}|\\]{1,2048})", re.IGNORECASE)
_HOST = re.compile(r"(?<![\w.@/-])((?:[a-z0-9](?:[a-z0-9-]{0,62})\.){1,8}[a-z]{2,24})(?![\w-])",
                   re.IGNORECASE)
_ARCHIVE = re.compile(r"[\w.-]{1,200}\.(?:zip|7z|rar|dmg|pkg|tgz|tar\.gz|tar\.xz|exe|msi)\b",
                      re.IGNORECASE)
_PASSWORD = re.compile(
    r"\b(?:pass(?:word|wd|phrase)?|pwd|key)\b[^\w\n]{0,12}(?:is\s+)?[`'\"*]{0,2}([^\s`'\"*,;)]{1,64})",
    re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9][\w.-]{0,100}")
_SHA256 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", re.IGNORECASE)


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
        """Every indicator in ``text``, each as a whole token."""
        ind = self.indicators
        if ind["ips"]:
            for m in _IP.finditer(text):
                if m.group(0) in ind["ips"]:
                    yield IntelMatch(m.start(), "ip", m.group(0), ind["ips"][m.group(0)])
        if ind["urls"] or ind["url_prefixes"] or ind["domains"]:
            for m in _URL.finditer(text):
                url = m.group(1).lower().rstrip(".,;:")
                if url in ind["urls"]:
                    yield IntelMatch(m.start(), "url", url, ind["urls"][url])
                    continue
                for prefix, camp in ind["url_prefixes"].items():
                    if url.startswith(prefix):
                        yield IntelMatch(m.start(), "url", url, camp)
                        break
        if ind["domains"]:
            for m in _HOST.finditer(text):
                host = m.group(1).lower()
                parts = host.split(".")
                for i in range(len(parts) - 1):
                    cand = ".".join(parts[i:])
                    if cand in ind["domains"]:
                        yield IntelMatch(m.start(), "domain", host, ind["domains"][cand])
                        break
        if ind["archive_names"]:
            for m in _ARCHIVE.finditer(text):
                name = m.group(0).lower().rsplit("/", 1)[-1]
                if name in ind["archive_names"]:
                    yield IntelMatch(m.start(), "archive", name, ind["archive_names"][name])
        if ind["archive_passwords"]:
            for m in _PASSWORD.finditer(text):
                if m.group(1) in ind["archive_passwords"]:
                    yield IntelMatch(m.start(), "password", m.group(1), ind["archive_passwords"][m.group(1)])
        lower = text.lower()
        names = [*ind["actor_handles"], *ind["packages"]]
        if names and any(n in lower for n in names):
            for m in _TOKEN.finditer(text):
                tok = m.group(0).lower().rstrip(".-")
                if tok in ind["actor_handles"]:
                    # A handle counts where it reads as one: a URL path segment or an @mention.
                    before = text[max(0, m.start() - 1):m.start()]
                    if before in ("/", "@"):
                        yield IntelMatch(m.start(), "actor", tok, ind["actor_handles"][tok])
                elif tok in ind["packages"]:
                    yield IntelMatch(m.start(), "package", tok, ind["packages"][tok])
        if ind["sha256"]:
            for m in _SHA256.finditer(text):
                h = m.group(0).lower()
                if h in ind["sha256"]:
                    yield IntelMatch(m.start(), "sha256", h, ind["sha256"][h])
