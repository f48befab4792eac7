"""Settings from MALWAR_* variables, and the generated settings table."""

from __future__ import annotations

from pathlib import Path

import pytest

from malwar.api.settings import ServerSettings, SettingsError, load_settings, settings_markdown

DOC = Path(__file__).parents[2] / "docs" / "settings.md"


@pytest.mark.parametrize("raw, expected", [
    ("k1-aaaaaaaaaaaaaaaa,k2-bbbbbbbbbbbbbbbb", ["k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb"]),
    (' ["k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb"] ', ["k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb"]),
    ("", []),
    ("[]", []),
    ("single-key-value", ["single-key-value"]),
])
def test_api_keys_accept_comma_and_json_lists(raw: str, expected: list[str]) -> None:
    settings = load_settings({"MALWAR_API_KEYS": raw})
    assert [k.key for k in settings.api_keys] == expected
    assert all(k.role == "admin" for k in settings.api_keys)


def test_api_keys_with_roles_and_never_shown() -> None:
    s = load_settings({"MALWAR_API_KEYS": '[{"key": "scan-key-0123456789", "role": "scanner"}]',
                       "MALWAR_WEBHOOK_SECRET": "hush-hush"})
    assert s.api_keys[0].role == "scanner"
    assert "scan-key" not in repr(s) and "hush-hush" not in repr(s)


@pytest.mark.parametrize("env, variable", [
    ({"MALWAR_PORT": "eighty"}, "MALWAR_PORT"),
    ({"MALWAR_PORT": "70000"}, "MALWAR_PORT"),
    ({"MALWAR_WORKERS": "0"}, "MALWAR_WORKERS"),
    ({"MALWAR_AUTO_MIGRATE": "maybe"}, "MALWAR_AUTO_MIGRATE"),
    ({"MALWAR_LOG_LEVEL": "LOUD"}, "MALWAR_LOG_LEVEL"),
    ({"MALWAR_LOG_FORMAT": "xml"}, "MALWAR_LOG_FORMAT"),
    ({"MALWAR_API_KEYS": '["unterminated'}, "MALWAR_API_KEYS"),
    ({"MALWAR_API_KEYS": '[{"key": "abcdefabcdefabcdef", "role": "root"}]'}, "MALWAR_API_KEYS"),
    ({"MALWAR_WEBHOOK_URLS": "ftp://x.example/hook", "MALWAR_WEBHOOK_SECRET": "s"}, "MALWAR_WEBHOOK_URLS"),
    ({"MALWAR_WEBHOOK_URLS": "https://x.example/hook"}, "MALWAR_WEBHOOK_SECRET"),
    ({"MALWAR_WEBHOOK_MIN_VERDICT": "bad"}, "MALWAR_WEBHOOK_MIN_VERDICT"),
    ({"MALWAR_MAX_UPLOAD_BYTES": "-1"}, "MALWAR_MAX_UPLOAD_BYTES"),
    ({"MALWAR_DB_URL": "postgresql://db/malwar"}, "MALWAR_DB_URL"),
])
def test_a_bad_value_is_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    message = str(err.value)
    assert message.startswith(f"{variable}: ") and "\n" not in message


def test_flags_override_the_environment() -> None:
    s = load_settings({"MALWAR_PORT": "9000", "MALWAR_HOST": "0.0.0.0"}, port=9100, host=None)
    assert (s.port, s.host) == (9100, "0.0.0.0")
    assert not s.loopback and ServerSettings().loopback


def test_settings_doc_is_generated_and_current() -> None:
    assert DOC.read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run `python -m malwar.api.settings > docs/settings.md`")
