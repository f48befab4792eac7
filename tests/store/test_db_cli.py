"""``malwar db`` and ``malwar keys`` as a user runs them: a real process, a real file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MALWAR_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "malwar", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=60)


def test_migrate_status_backup_restore(tmp_path: Path) -> None:
    env = {"MALWAR_DB_PATH": str(tmp_path / "m.db")}
    st = run("db", "status", cwd=tmp_path, env=env)
    assert st.returncode == 1 and "pending  0001_scans_and_findings" in st.stdout
    first = run("db", "migrate", cwd=tmp_path, env=env)
    assert first.returncode == 0 and "applied 0001_scans_and_findings" in first.stdout
    again = run("db", "migrate", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert run("db", "status", cwd=tmp_path, env=env).returncode == 0
    backup = run("db", "backup", str(tmp_path / "b.db"), cwd=tmp_path, env=env)
    assert backup.returncode == 0 and "integrity ok" in backup.stdout, backup.stderr
    restore = run("db", "restore", str(tmp_path / "b.db"), "--db", str(tmp_path / "r.db"), cwd=tmp_path)
    assert restore.returncode == 0, restore.stderr
    (tmp_path / "junk.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    bad = run("db", "restore", str(tmp_path / "junk.db"), cwd=tmp_path, env=env)
    assert bad.returncode == 1 and bad.stderr.startswith("malwar: error:")


def test_db_url_is_a_clear_error(tmp_path: Path) -> None:
    out = run("db", "migrate", cwd=tmp_path, env={"MALWAR_DB_URL": "postgresql://db/malwar"})
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "malwar: error: MALWAR_DB_URL: the PostgreSQL backend is not available yet; "
        "unset it and use MALWAR_DB_PATH (SQLite)"]


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    env = {"MALWAR_DB_PATH": str(tmp_path / "k.db")}
    created = run("keys", "create", "--role", "scanner", "--name", "ci", cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("mw_") and len(key) > 40
    listed = run("keys", "list", cwd=tmp_path, env=env).stdout
    assert "scanner" in listed and key not in listed
    key_id = listed.split()[0]
    assert run("keys", "revoke", key_id, cwd=tmp_path, env=env).returncode == 0
    assert "revoked" in run("keys", "list", cwd=tmp_path, env=env).stdout
    assert run("keys", "create", "--role", "root", cwd=tmp_path, env=env).returncode == 2
