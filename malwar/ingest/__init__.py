"""Ingest: turn paths, text, stdin or uploaded archives into ``Skill`` values.

Only bytes are read. Nothing a skill contains is executed, imported or fetched.
"""

from __future__ import annotations

from malwar.ingest.archive import expand_archive, skill_from_zip_bytes
from malwar.ingest.classify import classify
from malwar.ingest.discover import InputError, discover, load_file, load_skill_dir, load_text

__all__ = [
    "InputError",
    "classify",
    "discover",
    "expand_archive",
    "load_file",
    "load_skill_dir",
    "load_text",
    "skill_from_zip_bytes",
]
