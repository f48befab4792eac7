"""Bytes to text, and the normalised view the rules read.

The view keeps exactly the same lines as the original text, so a match in the
view points at the right line of the file: NFKC folding, zero-width and bidi
controls removed, Unicode tag characters decoded to the ASCII they hide.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e\u2061\u2062\u2063\u2064\u00ad\u034f\u115f\u1160\u3164"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_TAG_RE = re.compile("[\U000e0000-\U000e007f]+")
_HIDDEN_RE = re.compile(f"[{ZERO_WIDTH}{BIDI}\U000e0000-\U000e007f]")


def decode_bytes(data: bytes) -> str:
    """Decode file bytes leniently: BOMs honoured, invalid UTF-8 replaced, never raises."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _decode_tags(match: re.Match[str]) -> str:
    out = []
    for ch in match.group(0):
        cp = ord(ch) - 0xE0000
        if 0x20 <= cp < 0x7F:
            out.append(chr(cp))
    return "".join(out)


def decode_tag_chars(text: str) -> str:
    return _TAG_RE.sub(_decode_tags, text)


def has_hidden_chars(text: str) -> bool:
    return not text.isascii() and _HIDDEN_RE.search(text) is not None


def normalise(text: str) -> str:
    """The view rules read: same line count as ``text``, invisible characters gone."""
    if text.isascii():
        return text
    # Tag characters are removed here and decoded into their own layer (see parse.decode),
    # so a finding in them says where it came from.
    view = _HIDDEN_RE.sub("", text) if _HIDDEN_RE.search(text) else text
    view = unicodedata.normalize("NFKC", view)
    if view.count("\n") != text.count("\n"):
        # Extremely rare: keep line numbers right by normalising line by line.
        lines = []
        for line in text.split("\n"):
            one = unicodedata.normalize("NFKC", _HIDDEN_RE.sub("", line))
            lines.append(one.replace("\n", " "))
        view = "\n".join(lines)
    return view
