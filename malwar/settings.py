"""Limits and knobs for the scanning engine.

One object, built once and passed explicitly. The server extends it with its
own settings (see ``malwar.api.settings``); the engine only reads these.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ScanLimits:
    # A file larger than this is analysed up to the limit and reported as incomplete coverage.
    max_file_bytes: int = 16 * MiB
    max_skill_files: int = 2000
    max_skill_bytes: int = 64 * MiB
    # Archives found inside a skill.
    archive_max_depth: int = 2
    archive_max_members: int = 2000
    archive_max_member_bytes: int = 8 * MiB
    archive_max_total_bytes: int = 64 * MiB
    archive_max_ratio: int = 200
    # Encoded payloads (base64, hex, ...) decoded and scanned again.
    decode_max_depth: int = 3
    decode_max_blobs: int = 200
    decode_max_bytes: int = 2 * MiB
