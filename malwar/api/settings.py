"""Server settings: one object, built once from defaults < environment (``MALWAR_*``) < CLI flags.

Each field declares its environment variable, a parser and a help line; the table in
``docs/settings.md`` is generated from these declarations (``python -m malwar.api.settings``)
and a test fails when it is stale. A bad value stops start-up with one line naming the variable.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from malwar.models import Verdict

ROLES = ("read-only", "scanner", "analyst", "admin")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MiB = 1024 * 1024


class SettingsError(ValueError):
    """A setting has a bad value. The message is one line and starts with the variable name."""


@dataclass(frozen=True, slots=True)
class EnvKey:
    """A key given in ``MALWAR_API_KEYS``; kept in memory only, never logged."""

    key: str
    role: str = "admin"

    def __repr__(self) -> str:  # a settings dump must never show a key
        return f"EnvKey(role={self.role!r}, key='***')"


# -- parsers: raw string -> value, raising ValueError with a short reason ------------
def _str(raw: str) -> str:
    return raw.strip()


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _int(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip().replace("_", ""))
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            top = f" and {maximum}" if maximum is not None else ""
            raise ValueError(f"must be at least {minimum}{top}, got {value}" if not top
                             else f"must be between {minimum}{top}, got {value}")
        return value
    return parse


def _float(minimum: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value
    return parse


def _choice(options: tuple[str, ...], upper: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return value
    return parse


def _list(raw: str) -> list[Any]:
    """A comma-separated list, or a JSON list (what Helm renders from a values list)."""
    text = raw.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"looks like a JSON list but does not parse: {exc.msg}") from None
        if not isinstance(value, list):
            raise ValueError("expected a JSON list")
        return [v.strip() if isinstance(v, str) else v for v in value if v != ""]
    return [part.strip() for part in text.split(",") if part.strip()]


def _api_keys(raw: str) -> tuple[EnvKey, ...]:
    keys = []
    for i, item in enumerate(_list(raw), 1):
        if isinstance(item, dict):
            key, role = item.get("key"), item.get("role", "admin")
        else:
            key, role = item, "admin"
        if not isinstance(key, str) or not key:
            raise ValueError(f"entry {i} is not a key string")
        if any(c.isspace() or ord(c) < 32 for c in key):
            raise ValueError(f"entry {i} contains whitespace or control characters")
        if role not in ROLES:
            raise ValueError(f"entry {i} has role {role!r}; expected one of {', '.join(ROLES)}")
        keys.append(EnvKey(key, role))
    return tuple(keys)


def _urls(raw: str) -> tuple[str, ...]:
    urls = []
    for i, item in enumerate(_list(raw), 1):
        if not isinstance(item, str):
            raise ValueError(f"entry {i} is not a string")
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"entry {i} is not an http(s) URL: {item!r}")
        urls.append(item)
    return tuple(urls)


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(str(v) for v in _list(raw))


def _verdict(raw: str) -> str:
    return _choice(tuple(v.value for v in Verdict))(raw)


def setting(default: Any, help: str, parse: Callable[[str], Any], *, secret: bool = False,
            shown_default: str | None = None) -> Any:
    meta = {"help": help, "parse": parse, "secret": secret, "shown_default": shown_default}
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for defaults")
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = setting("127.0.0.1", "Address to listen on. Use 0.0.0.0 in a container.", _str)
    port: int = setting(8000, "TCP port to listen on.", _int(1, 65535))
    workers: int = setting(1, "Worker processes; each runs the whole app.", _int(1, 64))
    log_level: str = setting("INFO", "Log level: DEBUG, INFO, WARNING or ERROR.", _choice(LOG_LEVELS, upper=True))
    log_format: str = setting("json", "Log format on stderr: `json` (one object per line) or `console`.",
                              _choice(("json", "console")))
    db_path: str = setting("malwar.db", "SQLite database file. Its folder must be writable (WAL files).", _str)
    db_url: str = setting("", "Reserved for the PostgreSQL backend; setting it is an error until that backend exists.",
                          _str, secret=True)
    db_busy_timeout_ms: int = setting(5000, "How long a database write waits for a lock held by another worker.",
                                      _int(0))
    auto_migrate: bool = setting(True, "Apply pending database migrations at start-up.", _bool)
    api_keys: tuple[EnvKey, ...] = setting(
        (), "API keys, comma-separated or a JSON list. A plain key has the admin role; a JSON object "
            "`{\"key\": \"...\", \"role\": \"scanner\"}` picks another role.", _api_keys, secret=True,
        shown_default="(none)")
    allow_open: bool = setting(False, "Serve without any API key on a non-loopback address, everyone as admin. "
                                      "Off by default: with no key there, the server starts closed (health, "
                                      "ready and OpenAPI answer; every other request gets 401 until a key is "
                                      "created with `malwar keys create` or set in `MALWAR_API_KEYS`).", _bool)
    anthropic_api_key: str = setting("", "Anthropic API key for the LLM layer (accepted now, used by a later release).",
                                     _str, secret=True)
    webhook_urls: tuple[str, ...] = setting((), "Webhook URLs, comma-separated or a JSON list; each gets one signed "
                                                "event per stored scan at or above the minimum verdict.", _urls,
                                            shown_default="(none)")
    webhook_secret: str = setting("", "HMAC-SHA256 signing secret for webhooks; required when URLs are set.",
                                  _str, secret=True)
    webhook_min_verdict: str = setting("suspicious", "Lowest verdict that sends a webhook event.", _verdict)
    webhook_timeout_seconds: float = setting(10.0, "Timeout of one webhook delivery attempt.", _float(0.1))
    webhook_max_attempts: int = setting(5, "Attempts per delivery (exponential backoff) before it is marked failed.",
                                        _int(1, 20))
    max_upload_bytes: int = setting(10 * MiB, "Largest request body accepted (JSON or multipart).", _int(1024))
    max_batch_items: int = setting(50, "Most items in one `POST /scan/batch` request.", _int(1, 1000))
    rate_limit_per_key_per_minute: int = setting(
        6000, "Requests per minute for one API key across the server (0 = unlimited).", _int(0))
    rate_limit_per_address_per_minute: int = setting(
        6000, "Requests per minute from one client address across the server (0 = unlimited).", _int(0))
    metrics_public: bool = setting(False, "Serve `GET /api/v1/metrics` without an API key.", _bool)
    cors_origins: tuple[str, ...] = setting((), "Origins allowed by CORS; empty means CORS stays closed.", _origins,
                                            shown_default="(none)")

    # -- derived ------------------------------------------------------------------------
    @property
    def loopback(self) -> bool:
        if self.host in ("localhost", "localhost.localdomain"):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def open_access_allowed(self) -> bool:
        """May the server answer without an API key when none is configured at all?"""
        return self.allow_open or self.loopback

    def with_overrides(self, **values: Any) -> ServerSettings:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: v for k, v in values.items() if v is not None})
        out = ServerSettings(**current)
        out.validate()
        return out

    def validate(self) -> None:
        if self.db_url:
            raise SettingsError("MALWAR_DB_URL: the PostgreSQL backend is not available yet; "
                                "unset it and use MALWAR_DB_PATH (SQLite)")
        if self.webhook_urls and not self.webhook_secret:
            raise SettingsError("MALWAR_WEBHOOK_SECRET: required when MALWAR_WEBHOOK_URLS is set")
        if not self.db_path:
            raise SettingsError("MALWAR_DB_PATH: must not be empty")

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            parts.append(f"{f.name}={'***' if f.metadata['secret'] and value else value!r}")
        return f"ServerSettings({', '.join(parts)})"


def env_name(name: str) -> str:
    return f"MALWAR_{name.upper()}"


def load_settings(env: Mapping[str, str], **overrides: Any) -> ServerSettings:
    """Defaults < ``MALWAR_*`` environment < explicit overrides (CLI flags; ``None`` = not given)."""
    values: dict[str, Any] = {}
    for f in fields(ServerSettings):
        var = env_name(f.name)
        raw = env.get(var)
        if raw is None:
            continue
        try:
            values[f.name] = f.metadata["parse"](raw)
        except ValueError as exc:
            raise SettingsError(f"{var}: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = ServerSettings(**values)
    settings.validate()
    return settings


# -- the generated documentation table --------------------------------------------------
def _shown(f: Any) -> str:
    if f.metadata["shown_default"] is not None:
        return str(f.metadata["shown_default"])
    value = f.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return "(empty)"
    return str(value)


def settings_markdown() -> str:
    lines = [
        "# Server settings",
        "",
        "<!-- Generated from malwar/api/settings.py by `python -m malwar.api.settings`; do not edit. -->",
        "",
        "`malwar serve` reads these `MALWAR_*` environment variables; `--host`, `--port` and `--workers`",
        "override theirs. Precedence: defaults < environment < command-line flags. A bad value stops",
        "start-up with one line naming the variable. Lists take a comma-separated string or a JSON list.",
        "Values marked secret never appear in logs.",
        "",
        "| Variable | Default | Description |",
        "|---|---|---|",
    ]
    for f in fields(ServerSettings):
        secret = " (secret)" if f.metadata["secret"] else ""
        help_text = f.metadata["help"].replace("|", "\\|")
        lines.append(f"| `{env_name(f.name)}` | `{_shown(f)}` | {help_text}{secret} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(settings_markdown())
