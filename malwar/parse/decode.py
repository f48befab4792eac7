"""Find encoded payloads in a document, decode them, and hand them back as documents.

Each decoded blob becomes a child ``Document`` whose ``layer`` names the chain
(``base64``, ``base64>hex``, ...) and whose ``origin_line`` is the line of the
blob in the real file. Decoding is bounded in depth, count and bytes.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterator
from urllib.parse import unquote

from malwar.models import FileKind
from malwar.parse.document import Context, Document
from malwar.parse.text import normalise
from malwar.settings import ScanLimits

_B64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
_HEX_CHARS = b"0123456789abcdefABCDEF"


def _mask_table(chars: bytes) -> bytes:
    table = bytearray(b" " * 256)
    for c in chars:
        table[c] = ord("A")
    return bytes(table)


_B64_TABLE = _mask_table(_B64_CHARS)
_HEX_TABLE = _mask_table(_HEX_CHARS)
# Patterns start with a literal so the regex engine can jump between candidates.
_HEX_ESCAPED = re.compile(r"\\x[0-9a-fA-F]{2}(?:\\x[0-9a-fA-F]{2}){7,}")
# Escapes with short words between them: quote() leaves letters, digits and "-._~" as they are.
_URL_ENC = re.compile(r"%[0-9a-fA-F]{2}[^%\s\"'<>]{0,16}(?:%[0-9a-fA-F]{2}[^%\s\"'<>]{0,16}){5,}")
_CHARCODES = re.compile(r"(?:\d{2,3}\s*,\s*){8,}\d{2,3}")
_TAGS = re.compile("[\U000e0000-\U000e007f]{4,}")
_ROT13_CUE = re.compile(r"rot[_\-\s]?13|codecs\.decode\([^)\n]{0,200}rot", re.IGNORECASE)
_MAX_BLOB_CHARS = 1_000_000
_ROT13_CONTEXT = 10  # lines decoded on each side of a rot13 mention
_ENCODED_BLOB = re.compile(r"[A-Za-z0-9+/=_\-]{24,}|(?:\\x[0-9a-fA-F]{2}){8,}")


_UNPRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\u00a0-\ud7ff\ue000-\ufffc\U00010000-\U0010ffff]")
_NOT_LETTER = re.compile(r"[^A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u4e00-\u9fff]+")


def _printable_ratio(text: str) -> float:
    """Share of printable characters, counted by regex (C speed) rather than char by char."""
    if not text:
        return 0.0
    if text.isascii() and text.isprintable():
        return 1.0
    return 1.0 - len(_UNPRINTABLE.findall(text)) / len(text)


def _as_text(raw: bytes) -> str | None:
    """Decoded bytes as text if they look like text (commands, prose, code)."""
    if len(raw) < 8:
        return None
    # PowerShell -EncodedCommand is UTF-16LE.
    if len(raw) >= 8 and raw[1::2].count(0) > len(raw) // 4:
        try:
            text = raw.decode("utf-16-le")
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if _printable_ratio(text) < 0.9:
        return None
    # Require some shape of language: letters and at least one separator.
    letters = len(_NOT_LETTER.sub("", text))
    if letters < len(text) * 0.3 or not any(ch in text for ch in " ./:;|=&(-\n"):
        # A payload encoded twice (base64 of hex, ...) decodes to another blob, not to
        # language: keep it so that the next layer can open it.
        return text if _ENCODED_BLOB.fullmatch(text.strip()) else None
    return text


def _b64(blob: str) -> bytes | None:
    s = blob.rstrip("=")
    if len(s) % 4 == 1:
        s = s[:-1]
    try:
        if "-" in s or "_" in s:
            return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None


def _runs(mask: bytes, min_len: int) -> Iterator[tuple[int, int]]:
    """(start, end) of every run of at least ``min_len`` marked bytes: C-speed searching."""
    needle = b"A" * min_len
    pos = mask.find(needle)
    while pos != -1:
        end = mask.find(b" ", pos + min_len)
        if end == -1:
            end = len(mask)
        yield pos, end
        pos = mask.find(needle, end)


def _candidates(doc: Document) -> list[tuple[str, int, str]]:
    """(layer name, offset in view, decoded text) for each payload found."""
    view = doc.view
    out: list[tuple[str, int, str]] = []
    # One byte per character ("?" for non-ASCII), so byte offsets are view offsets.
    lower = doc.lower
    raw_view = view.encode("ascii", "replace")
    for start, end in _runs(raw_view.translate(_B64_TABLE), 24):
        blob = view[start:min(end, start + _MAX_BLOB_CHARS)]
        if end < len(view) and view[end] == "=":
            blob += "=="[: 2 if view[end:end + 2] == "==" else 1]
        # Identifiers, paths and words match the alphabet too; decoding weeds them out.
        if blob.isalpha() and (blob.islower() or blob.isupper()):
            continue
        raw = _b64(blob)
        text = _as_text(raw) if raw else None
        if text:
            out.append(("base64", start, text))
    if "\\x" in view:
        for m in _HEX_ESCAPED.finditer(view):
            raw = bytes.fromhex(m.group(0).replace("\\x", ""))
            text = _as_text(raw)
            if text:
                out.append(("hex", m.start(), text))
    for start, end in _runs(raw_view.translate(_HEX_TABLE), 24):
        blob = view[start:min(end, start + _MAX_BLOB_CHARS)]
        try:
            raw = bytes.fromhex(blob[: len(blob) // 2 * 2])
        except ValueError:
            continue
        text = _as_text(raw)
        if text:
            out.append(("hex", start, text))
    if "%" in view:
        for m in _URL_ENC.finditer(view):
            # The word before the first escape belongs to the payload ("curl%20-fsSL...");
            # found by looking back rather than in the pattern, which keeps the search linear.
            start = m.start()
            while start > max(0, m.start() - 16) and (view[start - 1].isalnum() or view[start - 1] in "-._~"):
                start -= 1
            blob = view[start:m.end()]
            text = unquote(blob)
            if text != blob and _printable_ratio(text) > 0.9:
                out.append(("url-encoding", start, text))
    code_calls = ("fromcharcode", "chr(", "bytes(")
    for span_start, span_end in (doc.lines_with(code_calls) if "," in view else ()):
        for m in _CHARCODES.finditer(view, span_start, span_end):
            nums = [int(n) for n in re.findall(r"\d+", m.group(0))]
            if all(9 <= n < 127 for n in nums):
                text = "".join(chr(n) for n in nums)
                if _as_text(text.encode()):
                    out.append(("char-codes", m.start(), text))
    if "rot" in lower and ("rot13" in lower or "rot_13" in lower or "rot-13" in lower):
        # ROT13 cannot be recognised by its alphabet: decode the lines around each mention
        # (the strings a script passes to its rot13 call), not the whole file.
        lines = doc.lines
        done: set[int] = set()
        cue_lines = doc.lines_with(("rot13", "rot_13", "rot-13", "rot 13", "'rot"))
        for m in (m for a, b in cue_lines for m in _ROT13_CUE.finditer(view, a, b)):
            line = doc.line_of(m.start())
            first = max(1, line - _ROT13_CONTEXT)
            if first in done:
                continue
            done.add(first)
            window = "\n".join(x[:4096] for x in lines[first - 1:line + _ROT13_CONTEXT])
            out.append(("rot13", doc.line_starts[first - 1], codecs.encode(window, "rot13")))
            if len(done) >= 20:
                break
    text = doc.text
    if not text.isascii():
        line, counted = 0, 0
        for m in _TAGS.finditer(text):
            decoded = "".join(chr(ord(c) - 0xE0000) for c in m.group(0) if 0x20 <= ord(c) - 0xE0000 < 0x7F)
            if decoded.strip():
                # Offsets in text and view differ once characters are stripped; map by line,
                # counting newlines incrementally so many runs stay linear.
                line += text.count("\n", counted, m.start())
                counted = m.start()
                offset = doc.line_starts[min(line, len(doc.line_starts) - 1)]
                out.append(("unicode-tags", offset, decoded))
    return out


def decode_layers(doc: Document, limits: ScanLimits, depth: int = 0,
                  budget: list[int] | None = None) -> list[Document]:
    """All decoded payloads under ``doc``, recursively, as child documents."""
    if depth >= limits.decode_max_depth:
        return []
    budget = budget if budget is not None else [limits.decode_max_blobs, limits.decode_max_bytes]
    children: list[Document] = []
    seen: set[str] = set()
    for layer, offset, text in _candidates(doc):
        if budget[0] <= 0 or budget[1] <= 0:
            break
        if len(text) > budget[1]:
            text = text[: budget[1]]  # the byte budget bounds the work decoded payloads can cause
        if text in seen:
            continue
        seen.add(text)
        budget[0] -= 1
        budget[1] -= len(text)
        line = doc.line_of(offset)
        origin = doc.origin_line if doc.origin_line is not None else line
        chain = f"{doc.layer}>{layer}" if doc.layer else layer
        parent_ctx = doc.context(line)
        child = Document(
            path=doc.path, kind=FileKind.SCRIPT, language="decoded", text=text,
            view=normalise(text), layer=chain, origin_line=origin,
            parent_context=Context(parent_ctx.section, True, "decoded", parent_ctx.negated,
                                   parent_ctx.install_step),
        )
        children.append(child)
        if layer != "rot13":
            children.extend(decode_layers(child, limits, depth + 1, budget))
    return children
