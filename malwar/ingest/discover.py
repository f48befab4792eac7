"""Find skills on disk and read their files within limits."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from malwar.ingest.archive import expand_archive
from malwar.ingest.classify import classify
from malwar.models import FileKind, IngestIssue, Skill, SkillFile
from malwar.settings import ScanLimits

SKILL_FILE_NAMES = ("SKILL.md", "skill.md", "Skill.md")
_SKIP_DIRS = {".git", ".hg", ".svn"}


class InputError(Exception):
    """A target that cannot be scanned at all (missing, unreadable). Exit code 2."""


def _is_skill_dir(path: Path) -> bool:
    return any((path / name).is_file() for name in SKILL_FILE_NAMES)


def _skill_roots(top: Path) -> Iterator[Path]:
    """Every folder holding a SKILL.md, outermost first; a skill's own subfolders belong to it."""
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        if any(name in filenames for name in SKILL_FILE_NAMES):
            dirnames[:] = []
            yield Path(dirpath)


def discover(target: str, limits: ScanLimits) -> Iterator[Skill]:
    """Yield the skills a command-line target names: a skill folder, a folder of skills, a file."""
    path = Path(target)
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read {target}: {exc.strerror or exc}") from exc
    if stat.S_ISREG(st.st_mode):
        yield load_file(path, target, limits)
        return
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{target} is neither a file nor a folder")
    if _is_skill_dir(path):
        yield load_skill_dir(path, target, limits)
        return
    roots = list(_skill_roots(path))
    if not roots:
        skill = load_skill_dir(path, target, limits)
        issue = IngestIssue("", "no-skill-md", "no SKILL.md found; the folder was scanned as one skill")
        yield Skill(skill.target, skill.files, (*skill.issues, issue))
        return
    for root in roots:
        rel = root.relative_to(path).as_posix()
        yield load_skill_dir(root, str(Path(target) / rel) if rel != "." else target, limits)


def _read_limited(path: Path, limit: int) -> tuple[bytes, int]:
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        return fh.read(limit), size


def make_file(rel: str, data: bytes, size: int, limits: ScanLimits,
              issues: list[IngestIssue], depth: int = 0) -> list[SkillFile]:
    """Classify one file's bytes; archives are opened and their members appended."""
    truncated = size > len(data)
    kind, language = classify(rel, data)
    files = [SkillFile(rel, data, kind, language, size, truncated)]
    if truncated:
        issues.append(IngestIssue(rel, "too-large",
                                  f"{size} bytes; only the first {len(data)} were analysed"))
    if kind is FileKind.ARCHIVE:
        files.extend(expand_archive(rel, data, limits, issues, depth))
    return files


def load_skill_dir(root: Path, target: str, limits: ScanLimits) -> Skill:
    files: list[SkillFile] = []
    issues: list[IngestIssue] = []
    total = 0
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            try:
                st = full.lstat()
            except OSError as exc:
                issues.append(IngestIssue(rel, "unreadable", str(exc.strerror or exc)))
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    dest = os.readlink(full)
                except OSError:
                    dest = "?"
                issues.append(IngestIssue(rel, "symlink", f"symbolic link to {dest} (not followed)"))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            count += 1
            if count > limits.max_skill_files:
                issues.append(IngestIssue(rel, "too-many-files",
                                          f"more than {limits.max_skill_files} files; the rest were not analysed"))
                return Skill(target, tuple(files), tuple(issues))
            budget = max(0, min(limits.max_file_bytes, limits.max_skill_bytes - total))
            try:
                data, size = _read_limited(full, budget)
            except OSError as exc:
                issues.append(IngestIssue(rel, "unreadable", str(exc.strerror or exc)))
                continue
            total += len(data)
            files.extend(make_file(rel, data, size, limits, issues))
    return Skill(target, tuple(files), tuple(issues))


def load_file(path: Path, target: str, limits: ScanLimits) -> Skill:
    try:
        data, size = _read_limited(path, limits.max_file_bytes)
    except OSError as exc:
        raise InputError(f"cannot read {target}: {exc.strerror or exc}") from exc
    issues: list[IngestIssue] = []
    files = make_file(path.name, data, size, limits, issues)
    return Skill(target, tuple(files), tuple(issues))


def load_text(text: str | bytes, name: str = "SKILL.md", target: str | None = None,
              limits: ScanLimits | None = None) -> Skill:
    limits = limits or ScanLimits()
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    size = len(data)
    issues: list[IngestIssue] = []
    files = make_file(name, data[: limits.max_file_bytes], size, limits, issues)
    return Skill(target or name, tuple(files), tuple(issues))
