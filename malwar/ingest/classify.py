"""Decide what a file is from its name and its first bytes (never from what it claims)."""

from __future__ import annotations

from pathlib import PurePosixPath

from malwar.models import FileKind

_MARKDOWN = {".md", ".markdown", ".mdx", ".mdc"}
_SCRIPT_LANGUAGES = {
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ksh": "shell",
    ".fish": "shell",
    ".command": "shell",
    ".py": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "javascript",
    ".mts": "javascript",
    ".jsx": "javascript",
    ".tsx": "javascript",
    ".ps1": "powershell",
    ".psm1": "powershell",
    ".psd1": "powershell",
    ".bat": "batch",
    ".cmd": "batch",
    ".vbs": "vbscript",
    ".rb": "ruby",
    ".pl": "perl",
    ".php": "php",
    ".lua": "lua",
    ".applescript": "applescript",
    ".go": "go",
    ".rs": "rust",
}
_BYTECODE = {".pyc", ".pyo", ".class", ".jar", ".wasm"}
_ARCHIVE_EXT = {
    ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".whl", ".egg",
    ".dmg", ".pkg", ".iso", ".cab", ".apk",
}
_EXECUTABLE_EXT = {".exe", ".dll", ".so", ".dylib", ".msi", ".scr", ".elf", ".bin", ".app"}
_SHEBANGS = {
    b"sh": "shell", b"bash": "shell", b"zsh": "shell", b"dash": "shell", b"ksh": "shell",
    b"python": "python", b"python3": "python", b"node": "javascript", b"deno": "javascript",
    b"bun": "javascript", b"pwsh": "powershell", b"ruby": "ruby", b"perl": "perl",
    b"osascript": "applescript", b"php": "php",
}


def _magic_kind(head: bytes) -> FileKind | None:
    if head.startswith(b"\x7fELF") or head.startswith(b"MZ"):
        return FileKind.EXECUTABLE
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        # 0xCAFEBABE is also Java class files; both are compiled code we cannot read.
        return FileKind.EXECUTABLE
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00",
                        b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")):
        return FileKind.ARCHIVE
    if len(head) > 262 and head[257:262] == b"ustar":
        return FileKind.ARCHIVE
    return None


def _shebang_language(head: bytes) -> str | None:
    if not head.startswith(b"#!"):
        return None
    first = head.split(b"\n", 1)[0][2:].strip()
    parts = first.split()
    if not parts:
        return None
    prog = parts[0].rsplit(b"/", 1)[-1]
    if prog == b"env":
        rest = [p for p in parts[1:] if not p.startswith(b"-")]
        prog = rest[0] if rest else b""
    prog = prog.rstrip(b"0123456789.")
    return _SHEBANGS.get(prog) or _SHEBANGS.get(prog + b"3")


def looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text with a BOM
    return b"\x00" in head[:8192]


def classify(path: str, data: bytes) -> tuple[FileKind, str]:
    """Return the kind of file and the language its text should be read as."""
    head = data[:8192]
    suffix = PurePosixPath(path.lower()).suffix
    magic = _magic_kind(head)
    if magic is not None:
        return magic, "binary"
    if suffix in _BYTECODE or (suffix == "" and head[2:4] == b"\r\n" and b"\x00" in head[4:16]):
        return FileKind.BYTECODE, "binary"
    if suffix in _EXECUTABLE_EXT and looks_binary(head):
        return FileKind.EXECUTABLE, "binary"
    if looks_binary(head):
        if suffix in _ARCHIVE_EXT:
            return FileKind.ARCHIVE, "binary"
        return FileKind.BINARY, "binary"
    if suffix in _MARKDOWN:
        return FileKind.MARKDOWN, "markdown"
    lang = _SCRIPT_LANGUAGES.get(suffix) or _shebang_language(head)
    if lang is not None:
        return FileKind.SCRIPT, lang
    return FileKind.TEXT, suffix.lstrip(".") or "text"
