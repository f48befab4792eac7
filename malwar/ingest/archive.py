"""Open archives found inside a skill, within depth, size, count and ratio limits.

Members are read into memory only; nothing is extracted to disk, so member
names (``../../etc/passwd``) can never escape anywhere. Names that try are
reported.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from zlib import error as zlib_error

from malwar.ingest.classify import classify
from malwar.models import FileKind, IngestIssue, Skill, SkillFile
from malwar.settings import ScanLimits

if TYPE_CHECKING:
    from collections.abc import Iterator


class UploadError(ValueError):
    """An uploaded archive that cannot be accepted as a skill."""


def _unsafe_name(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return p.is_absolute() or ".." in p.parts or (len(name) > 1 and name[1] == ":")


def _zip_members(rel: str, data: bytes, limits: ScanLimits, issues: list[IngestIssue],
                 depth: int) -> Iterator[SkillFile]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        issues.append(IngestIssue(rel, "archive-unreadable", f"corrupt zip: {exc}"))
        return
    if len(infos) > limits.archive_max_members:
        issues.append(IngestIssue(rel, "archive-too-many-members",
                                  f"{len(infos)} members; only the first {limits.archive_max_members} were examined"))
        infos = infos[: limits.archive_max_members]
    total = 0
    encrypted = [i.filename for i in infos if i.flag_bits & 0x1]
    if encrypted:
        issues.append(IngestIssue(rel, "archive-encrypted",
                                  f"password-protected members: {', '.join(encrypted[:5])}"))
    for info in infos:
        if info.is_dir() or info.flag_bits & 0x1:
            continue
        name = info.filename
        if _unsafe_name(name):
            issues.append(IngestIssue(rel, "archive-path-traversal", f"member name escapes the archive: {name!r}"))
        if info.file_size > limits.archive_max_member_bytes:
            issues.append(IngestIssue(f"{rel}!{name}", "too-large",
                                      f"archive member of {info.file_size} bytes was not analysed"))
            continue
        if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.archive_max_ratio:
            issues.append(IngestIssue(f"{rel}!{name}", "archive-bomb",
                                      f"compression ratio {info.file_size // max(info.compress_size, 1)}:1"))
            continue
        total += info.file_size
        if total > limits.archive_max_total_bytes:
            issues.append(IngestIssue(rel, "archive-bomb", "archive expands beyond the total size limit"))
            return
        try:
            with zf.open(info) as fh:
                payload = fh.read(limits.archive_max_member_bytes + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
                zlib_error) as exc:
            issues.append(IngestIssue(f"{rel}!{name}", "archive-unreadable", str(exc)))
            continue
        yield from _member(f"{rel}!{name}", payload, limits, issues, depth)


def _tar_members(rel: str, data: bytes, limits: ScanLimits, issues: list[IngestIssue],
                 depth: int) -> Iterator[SkillFile]:
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - in memory, nothing to close
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        if rel.lower().endswith((".gz", ".bz2", ".xz")) and not rel.lower().endswith(".tar.gz"):
            yield from _single_compressed(rel, data, limits, issues, depth)
            return
        issues.append(IngestIssue(rel, "archive-unreadable", f"corrupt archive: {exc}"))
        return
    total = 0
    count = 0
    try:
        for info in tf:
            count += 1
            if count > limits.archive_max_members:
                issues.append(IngestIssue(rel, "archive-too-many-members",
                                          f"more than {limits.archive_max_members} members"))
                return
            if _unsafe_name(info.name) or ((info.issym() or info.islnk()) and _unsafe_name(info.linkname)):
                issues.append(IngestIssue(rel, "archive-path-traversal",
                                          f"member escapes the archive: {info.name!r}"))
            if not info.isfile():
                continue
            if info.size > limits.archive_max_member_bytes:
                issues.append(IngestIssue(f"{rel}!{info.name}", "too-large",
                                          f"archive member of {info.size} bytes was not analysed"))
                continue
            total += info.size
            if total > limits.archive_max_total_bytes or total > limits.archive_max_ratio * max(len(data), 1):
                issues.append(IngestIssue(rel, "archive-bomb", "archive expands beyond the size limits"))
                return
            fh = tf.extractfile(info)
            if fh is None:
                continue
            payload = fh.read(limits.archive_max_member_bytes)
            yield from _member(f"{rel}!{info.name}", payload, limits, issues, depth)
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib_error) as exc:
        issues.append(IngestIssue(rel, "archive-unreadable", f"corrupt archive: {exc}"))


def _single_compressed(rel: str, data: bytes, limits: ScanLimits, issues: list[IngestIssue],
                       depth: int) -> Iterator[SkillFile]:
    import bz2
    import gzip
    import lzma

    # BZ2File and LZMAFile take the file object as their first argument; GzipFile as fileobj=.
    opener = {".gz": lambda raw: gzip.GzipFile(fileobj=raw), ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}
    suffix = PurePosixPath(rel.lower()).suffix
    try:
        with opener[suffix](io.BytesIO(data)) as fh:  # type: ignore[operator]
            payload = fh.read(min(limits.archive_max_member_bytes, limits.archive_max_ratio * len(data)) + 1)
    except (OSError, EOFError, ValueError, lzma.LZMAError, KeyError, zlib_error) as exc:
        issues.append(IngestIssue(rel, "archive-unreadable", f"corrupt archive: {exc}"))
        return
    if len(payload) > min(limits.archive_max_member_bytes, limits.archive_max_ratio * len(data)):
        issues.append(IngestIssue(rel, "archive-bomb", "compressed file expands beyond the limits"))
        return
    yield from _member(f"{rel}!{PurePosixPath(rel).stem}", payload, limits, issues, depth)


def _member(path: str, payload: bytes, limits: ScanLimits, issues: list[IngestIssue],
            depth: int) -> Iterator[SkillFile]:
    kind, language = classify(path.rsplit("!", 1)[-1], payload)
    yield SkillFile(path, payload, kind, language, len(payload))
    if kind is FileKind.ARCHIVE:
        yield from expand_archive(path, payload, limits, issues, depth + 1)


def expand_archive(rel: str, data: bytes, limits: ScanLimits, issues: list[IngestIssue],
                   depth: int = 0) -> list[SkillFile]:
    """List an archive's members and return the ones worth analysing, as SkillFiles."""
    if depth >= limits.archive_max_depth:
        issues.append(IngestIssue(rel, "archive-too-deep",
                                  f"archive nested more than {limits.archive_max_depth} levels; not opened"))
        return []
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return list(_zip_members(rel, data, limits, issues, depth))
    if data.startswith((b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")):
        issues.append(IngestIssue(rel, "archive-opaque", "7z/RAR archive cannot be inspected statically"))
        return []
    if data.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")) or data[257:262] == b"ustar":
        return list(_tar_members(rel, data, limits, issues, depth))
    issues.append(IngestIssue(rel, "archive-opaque", "archive format not recognised; contents not inspected"))
    return []


def skill_from_zip_bytes(data: bytes, target: str, limits: ScanLimits | None = None) -> Skill:
    """A whole skill folder uploaded as a zip (the API's multipart upload)."""
    limits = limits or ScanLimits()
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise UploadError("upload is not a zip archive")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadError(f"corrupt zip archive: {exc}") from exc
    if len(infos) > limits.archive_max_members:
        raise UploadError(f"zip holds {len(infos)} entries; the limit is {limits.archive_max_members}")
    declared = sum(i.file_size for i in infos)
    if declared > limits.archive_max_total_bytes:
        raise UploadError(f"zip expands to {declared} bytes; the limit is {limits.archive_max_total_bytes}")
    names = [i.filename for i in infos if not i.is_dir()]
    bad = [n for n in names if _unsafe_name(n)]
    if bad:
        raise UploadError(f"zip entry escapes the skill folder: {bad[0]!r}")
    # A zip of a folder usually has one top-level directory; strip it.
    prefix = ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        prefix = next(iter(tops)) + "/"
    from malwar.ingest.discover import make_file

    files: list[SkillFile] = []
    issues: list[IngestIssue] = []
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        rel = info.filename[len(prefix):] if prefix else info.filename
        if info.flag_bits & 0x1:
            issues.append(IngestIssue(rel, "archive-encrypted", "password-protected entry in the upload"))
            continue
        if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.archive_max_ratio:
            raise UploadError(f"zip entry {rel!r} has a compression ratio above {limits.archive_max_ratio}:1")
        try:
            with zf.open(info) as fh:
                payload = fh.read(limits.max_file_bytes)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
                zlib_error) as exc:
            raise UploadError(f"cannot read zip entry {rel!r}: {exc}") from exc
        total += len(payload)
        if total > limits.archive_max_total_bytes:
            raise UploadError("zip expands beyond the size limit")
        files.extend(make_file(rel, payload, info.file_size, limits, issues))
    return Skill(target, tuple(files), tuple(issues))
