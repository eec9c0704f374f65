"""Client configuration: defaults < TOML file < environment < command-line flags.

The API key is wrapped in :class:`Secret` so that no repr, log line or error message can
print it by accident.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ACTIONS = (
    "receive",
    "issue",
    "transfer",
    "restock",
    "remove",
    "waste",
    "return",
    "return_to_supplier",
    "count",
    "lookup",
)
DECODERS = ("zxing", "pyzbar", "both")
DEFAULT_FORMATS = ("DataMatrix", "Code128", "EAN13", "EAN8", "UPCA", "UPCE", "QRCode", "DataBar")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Secret:
    """A string that never shows itself in repr/str (API keys)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return mask(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def mask(value: str) -> str:
    """Show at most a recognisable prefix of a key: enough to tell keys apart, not to use one."""
    if not value:
        return ""
    return value[:4] + "…" if len(value) > 12 else "***"


def default_data_dir() -> Path:
    """XDG data dir (~/.local/share/inventory-scan), where the offline queue lives by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inventory-scan"


def default_config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "inventory-scan" / "config.toml"


@dataclasses.dataclass
class Config:
    """Everything the client needs; built by :func:`load_config`."""

    server: str = "http://127.0.0.1:8000"
    token: Secret = dataclasses.field(default_factory=lambda: Secret(""))
    device: str = dataclasses.field(default_factory=socket.gethostname)
    location: str | None = None
    action: str = "receive"
    source: str = "stdin"
    queue: Path = dataclasses.field(default_factory=lambda: default_data_dir() / "queue.db")
    decoder: str = "zxing"
    formats: tuple[str, ...] = DEFAULT_FORMATS
    debounce: float = 2.0
    wedge_debounce: float = 0.0
    gs_substitutes: tuple[str, ...] = ()
    purchase_order: str | None = None
    restock_session: int | None = None
    count_session: int | None = None
    pick_list: int | None = None
    to_location: str | None = None
    json: bool = False
    preview: bool = False
    timeout: float = 10.0
    drain_timeout: float = 5.0
    backoff_base: float = 0.5
    backoff_cap: float = 60.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        self.action = self.action.lower()
        if self.action not in ACTIONS:
            raise ConfigError(f"unknown action {self.action!r}; one of {', '.join(ACTIONS)}")
        if self.decoder not in DECODERS:
            raise ConfigError(f"unknown decoder {self.decoder!r}; one of {', '.join(DECODERS)}")
        if not self.server.startswith(("http://", "https://")):
            raise ConfigError(f"server must be an http(s) URL, got {self.server!r}")
        self.server = self.server.rstrip("/")
        if self.debounce < 0 or self.wedge_debounce < 0:
            raise ConfigError("debounce windows must be >= 0 seconds")

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return f"Config({fields})"


# setting name -> environment variable
ENV_VARS: dict[str, str] = {
    "server": "INVENTORY_SCAN_SERVER",
    "token": "INVENTORY_SCAN_TOKEN",
    "device": "INVENTORY_SCAN_DEVICE",
    "location": "INVENTORY_SCAN_LOCATION",
    "action": "INVENTORY_SCAN_ACTION",
    "source": "INVENTORY_SCAN_SOURCE",
    "queue": "INVENTORY_SCAN_QUEUE",
    "decoder": "INVENTORY_SCAN_DECODER",
    "formats": "INVENTORY_SCAN_FORMATS",
    "debounce": "INVENTORY_SCAN_DEBOUNCE",
    "wedge_debounce": "INVENTORY_SCAN_WEDGE_DEBOUNCE",
    "gs_substitutes": "INVENTORY_SCAN_GS_SUBSTITUTE",
    "purchase_order": "INVENTORY_SCAN_PURCHASE_ORDER",
    "restock_session": "INVENTORY_SCAN_RESTOCK_SESSION",
    "count_session": "INVENTORY_SCAN_COUNT_SESSION",
    "pick_list": "INVENTORY_SCAN_PICK_LIST",
    "to_location": "INVENTORY_SCAN_TO_LOCATION",
    "json": "INVENTORY_SCAN_JSON",
    "preview": "INVENTORY_SCAN_PREVIEW",
    "timeout": "INVENTORY_SCAN_TIMEOUT",
    "drain_timeout": "INVENTORY_SCAN_DRAIN_TIMEOUT",
}
CONFIG_ENV = "INVENTORY_SCAN_CONFIG"

_FIELD_TYPES = {f.name: f for f in dataclasses.fields(Config)}

#: Session and list ids: integers on the wire (the server answers 400 to a string).
ID_SETTINGS = ("restock_session", "count_session", "pick_list")
MAX_ID = 2**31 - 1
"""The server's bound on these ids (a database integer): a larger one could never name a
session, so it is refused here, at the desk, not after the scans were queued
(tests/scanner/test_kit_context.py checks it equals the server's)."""


def parse_id(value: object, what: str = "id") -> int:
    """A session or list id: a whole number 1..MAX_ID, given as an int or its digits."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text.isdecimal() or not text.isascii():
            raise ValueError(f"{what} must be a whole number (e.g. 42), got {str(value)!r}")
        number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"{what} must be between 1 and {MAX_ID}, got {number}")
    return number


def _coerce(name: str, value: Any) -> Any:
    """Turn a TOML/env/flag value into the field's type, with errors that name the setting."""
    if name not in _FIELD_TYPES:
        raise ConfigError(f"unknown setting {name!r}")
    try:
        if name == "token":
            return value if isinstance(value, Secret) else Secret(str(value))
        if name == "queue":
            return Path(str(value)).expanduser()
        if name in ("formats", "gs_substitutes"):
            if isinstance(value, str):
                sep = "," if name == "formats" else "\n"
                return tuple(v.strip() if name == "formats" else v for v in value.split(sep) if v)
            return tuple(str(v) for v in value)
        if name in ("debounce", "wedge_debounce", "timeout", "drain_timeout"):
            return float(value)
        if name in ("backoff_base", "backoff_cap"):
            return float(value)
        if name in ID_SETTINGS:
            return None if value is None else parse_id(value, name.replace("_", " ") + " id")
        if name in ("json", "preview"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        return None if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: {exc}") from exc


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML config; keys are setting names (``-`` or ``_``), optionally under [scanner]."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    if isinstance(data.get("scanner"), dict):
        data = {**{k: v for k, v in data.items() if k != "scanner"}, **data["scanner"]}
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name == "gs_substitute":
            name = "gs_substitutes"
        out[name] = value
    return out


def load_config(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Config:
    """Merge the layers. ``flags`` holds only options given on the command line (None = unset)."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    values: dict[str, Any] = {}

    path = config_path
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    if path is None and default_config_file().is_file():
        path = default_config_file()
    if path is not None:
        for name, value in read_toml(path.expanduser()).items():
            values[name] = _coerce(name, value)
    for name, var in ENV_VARS.items():
        if env.get(var):
            values[name] = _coerce(name, env[var])
    for name, value in flags.items():
        values[name] = _coerce(name, value)
    try:
        return Config(**values)
    except TypeError as exc:  # pragma: no cover - guarded by _coerce
        raise ConfigError(str(exc)) from exc
