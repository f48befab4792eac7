"""Files a skill should not ship: executables, compiled code, archives, hidden payloads."""

from __future__ import annotations

from collections.abc import Iterator

from malwar.models import Category, Confidence, FileKind, Severity, Skill
from malwar.parse.document import Document
from malwar.rules.base import Hit, Rule


def _encrypted_zip_example() -> bytes:
    """A tiny zip whose member is flagged as encrypted (built here, not shipped as a blob)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("install.sh", "echo hi\n")
    data = bytearray(buf.getvalue())
    data[6] |= 0x1  # local file header: general purpose flag, bit 0 = encrypted
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # central directory copy of the same flag
    return bytes(data)


_INSTALLER_SUFFIXES = (".dmg", ".pkg", ".msi", ".exe", ".scr", ".app", ".deb", ".rpm")


class BinaryExecutable(Rule):
    """A compiled executable ships inside the skill.

    What:
        A file whose bytes are an ELF, PE (Windows ``MZ``) or Mach-O binary,
        whatever its name says, including members of archives in the skill.

    Why:
        A skill is instructions and scripts an agent can read. A native binary
        cannot be reviewed, and stealers (AMOS and its kin) travel exactly this
        way: a "helper tool" the skill tells the agent to run.

    Example:
        ``bin/helper`` starting with ``\\x7fELF``, or ``tools/setup.exe``.

    Benign look-alike:
        Some skills vendor a small, well-known CLI. That is still worth a human
        look; on its own this finding stays below "malicious".
    """

    id = "MW-1001"
    name = "binary-executable"
    title = "Compiled executable inside the skill"
    category = Category.EXECUTION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    skill_level = True
    context_sensitive = False
    matches = ({"SKILL.md": "# Helper\n", "bin/helper": b"\x7fELF\x02\x01\x01" + b"\x00" * 64},
               {"SKILL.md": "# Win\n", "setup.exe": b"MZ\x90\x00" + b"\x00" * 64})
    ignores = ({"SKILL.md": "# Fonts\n", "fonts/a.ttf": b"\x00\x01\x00\x00\x00\x10" + b"\x00" * 64},)

    def check_skill(self, skill: Skill, docs: list[Document]) -> Iterator[Hit]:
        for f in skill.files:
            if f.kind is FileKind.EXECUTABLE:
                magic = f.data[:4]
                what = ("ELF" if magic.startswith(b"\x7fELF") else "PE" if magic.startswith(b"MZ")
                        else "Mach-O/Java class")
                yield Hit(0, f"{what} binary, {f.size} bytes", file=f.path)


class CompiledBytecode(Rule):
    """Compiled bytecode (``.pyc``, Java ``.class``/``.jar``, WebAssembly) ships inside the skill.

    What:
        Python bytecode, Java classes or archives, or WebAssembly modules.

    Why:
        Bytecode hides logic from review while still running wherever the
        interpreter does; a ``.pyc`` next to an innocent ``.py`` can differ from
        it entirely, and Python loads the ``.pyc`` first in some layouts.

    Example:
        ``scripts/__pycache__/helper.cpython-311.pyc`` in a skill folder.

    Benign look-alike:
        Stray ``__pycache__`` folders packed by accident; they still cannot be
        reviewed, so the finding stays, at medium weight.
    """

    id = "MW-1002"
    name = "compiled-bytecode"
    title = "Compiled bytecode inside the skill"
    category = Category.EVASION
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    skill_level = True
    context_sensitive = False
    matches = ({"SKILL.md": "# Tool\n", "scripts/run.pyc": b"\xa7\r\r\n\x00\x00\x00\x00" + b"\xe3" * 32},)
    ignores = ({"SKILL.md": "# Tool\n", "scripts/run.py": "print('hello')\n"},)

    def check_skill(self, skill: Skill, docs: list[Document]) -> Iterator[Hit]:
        for f in skill.files:
            if f.kind is FileKind.BYTECODE:
                yield Hit(0, f"compiled code, {f.size} bytes", file=f.path)


class ArchiveInSkill(Rule):
    """An archive or installer image ships inside the skill.

    What:
        A zip, tarball, 7z, RAR, disk image or installer package among the
        skill's files. Its members are listed and its text members scanned like
        any other file (within depth, size and ratio limits).

    Why:
        Archives hide payloads from reviewers and from scanners that do not
        open them; installer images (``.dmg``, ``.pkg``, ``.msi``) exist to be
        run.

    Example:
        ``assets/tools.zip`` holding ``install.sh``.

    Benign look-alike:
        Template bundles (a ``.zip`` of document templates); they are opened
        and scanned, and this finding alone stays at low weight.
    """

    id = "MW-1003"
    name = "archive-in-skill"
    title = "Archive inside the skill"
    category = Category.EVASION
    severity = Severity.LOW
    confidence = Confidence.HIGH
    skill_level = True
    context_sensitive = False
    matches = ({"SKILL.md": "# Tool\n", "assets/blob.7z": b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 32},)
    ignores = ({"SKILL.md": "# Tool\n", "assets/readme.txt": "plain text\n"},)

    def check_skill(self, skill: Skill, docs: list[Document]) -> Iterator[Hit]:
        for f in skill.files:
            if f.kind is FileKind.ARCHIVE:
                sev = Severity.HIGH if f.path.lower().endswith(_INSTALLER_SUFFIXES) else None
                yield Hit(0, f"archive, {f.size} bytes", file=f.path, severity=sev)


class EncryptedArchive(Rule):
    """A password-protected archive ships inside the skill.

    What:
        An archive inside the skill whose members are encrypted, so their
        contents cannot be inspected, and archives that try to write outside
        their folder (``../`` member names) or are decompression bombs.

    Why:
        Encrypting a payload is the standard way to get it past scanners:
        nothing legitimate in a skill needs to be hidden from the person
        installing it.

    Example:
        ``payload.zip`` with encrypted members, and the password in SKILL.md.

    Benign look-alike:
        None common in skills; encrypted test vectors in a crypto library's
        test suite would be one, and would still deserve review.
    """

    id = "MW-1004"
    name = "encrypted-or-hostile-archive"
    title = "Password-protected or hostile archive inside the skill"
    category = Category.EVASION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    skill_level = True
    context_sensitive = False
    _REASONS = frozenset({"archive-encrypted", "archive-path-traversal", "archive-bomb"})
    matches = ({"SKILL.md": "# Tool\n", "payload.zip": _encrypted_zip_example()},)
    ignores = ("# Tool\n\nNo archives here.\n",)

    def check_skill(self, skill: Skill, docs: list[Document]) -> Iterator[Hit]:
        for issue in skill.issues:
            if issue.reason in self._REASONS:
                yield Hit(0, f"{issue.reason}: {issue.detail}", file=issue.path)
