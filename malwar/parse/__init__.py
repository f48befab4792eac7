"""Parse: a ``SkillFile`` becomes a ``Document`` with structure, context and decoded layers."""

from __future__ import annotations

from malwar.models import FileKind, Skill, SkillFile
from malwar.parse.decode import decode_layers
from malwar.parse.document import (
    CodeBlock,
    Comment,
    Context,
    Document,
    FrontMatter,
    InlineCode,
    Link,
    Section,
)
from malwar.parse.markdown import parse_front_matter, parse_markdown
from malwar.parse.text import decode_bytes, has_hidden_chars, normalise
from malwar.settings import ScanLimits

TEXT_KINDS = frozenset({FileKind.MARKDOWN, FileKind.SCRIPT, FileKind.TEXT})


def parse_file(file: SkillFile) -> Document:
    """Parse one text file. Never raises: any bytes give a Document."""
    text = decode_bytes(file.data) if file.kind in TEXT_KINDS else ""
    doc = Document(path=file.path, kind=file.kind, language=file.language, text=text,
                   view=normalise(text))
    if file.kind is FileKind.MARKDOWN:
        parse_markdown(doc)
    return doc


def parse_skill(skill: Skill, limits: ScanLimits) -> list[Document]:
    """Every analysable document of a skill, decoded layers included."""
    docs: list[Document] = []
    for file in skill.files:
        if file.kind not in TEXT_KINDS:
            continue
        doc = parse_file(file)
        docs.append(doc)
        docs.extend(decode_layers(doc, limits))
    return docs


__all__ = [
    "TEXT_KINDS",
    "CodeBlock",
    "Comment",
    "Context",
    "Document",
    "FrontMatter",
    "InlineCode",
    "Link",
    "Section",
    "decode_bytes",
    "decode_layers",
    "has_hidden_chars",
    "normalise",
    "parse_file",
    "parse_front_matter",
    "parse_markdown",
    "parse_skill",
]
