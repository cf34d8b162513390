"""The tool's remembered choices (``settings.json`` in the tool's settings dir), read.

A plain re-run of ``sshsetup setup`` keeps the options chosen before; remotes and
their API base URLs live here too (the API keys never do: see credentials). Reading only:
the connect path needs the remotes; ``sshsetup.settings_store`` writes the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sshsetup.errors import BadInput, UsageError

DEFAULT_REMOTE = "baseten"
DEFAULT_REFRESH_MARGIN_SECONDS = 300
# ServerAliveInterval of the block; 0: no keepalives (docs/ssh-config.md#keepalives-through-a-proxy)
DEFAULT_KEEPALIVE_SECONDS = 15
MAX_KEEPALIVE_SECONDS = 3600


@dataclass
class BlockOptions:
    forward_agent: bool = False
    add_keys_to_agent: bool = False
    use_keychain: bool = False
    keepalive_seconds: int = DEFAULT_KEEPALIVE_SECONDS  # 0: off


def keepalive_from_text(text: str) -> int:
    """``setup --keepalive``: seconds between keepalives, or ``off`` (0)."""
    value = text.strip().lower()
    if value in ("off", "0"):
        return 0
    if not value.isdigit() or not 1 <= int(value) <= MAX_KEEPALIVE_SECONDS:
        raise UsageError(
            f"--keepalive {text!r} is neither a number of seconds nor `off`",
            hint=f"give 1 to {MAX_KEEPALIVE_SECONDS} seconds "
            f"(default {DEFAULT_KEEPALIVE_SECONDS}), or `off` for no keepalives",
        )
    return int(value)


@dataclass
class Remote:
    base_url: str | None = None  # None: BASETEN_BASE_URL, else https://api.baseten.co
    # Proxy hosts (and their subdomains) accepted besides the API's own domain (proxy_policy).
    allowed_proxy_hosts: list[str] = field(default_factory=list)
    # `sshsetup login` stored the key in the keyring (logout clears it): what status and
    # remote list say without opening the keyring (docs/keyring-storage.md#what-status-reads).
    api_key_in_keyring: bool = False

    def __post_init__(self) -> None:
        hosts = self.allowed_proxy_hosts
        if not isinstance(hosts, list) or not all(isinstance(host, str) for host in hosts):
            raise TypeError("allowed_proxy_hosts must be a list of host names")
        if not isinstance(self.api_key_in_keyring, bool):
            raise TypeError("api_key_in_keyring must be true or false")


@dataclass
class Settings:
    options: BlockOptions = field(default_factory=BlockOptions)
    refresh_margin_seconds: int = DEFAULT_REFRESH_MARGIN_SECONDS
    default_remote: str = DEFAULT_REMOTE
    remotes: dict[str, Remote] = field(default_factory=dict)
    key_file: str | None = None  # a key reused from elsewhere (truss); None: the default
    python: str | None = None  # `setup --python`; None: sshsetup chooses (sshsetup.interpreter)
    ssh_config: str | None = None  # `setup --config` other than ssh's own; None: ssh's own
    created_config: str | None = None  # an ssh config setup created: remove deletes it if empty

    def api_key_in_keyring(self, remote: str) -> bool:
        """Whether `sshsetup login` stored ``remote``'s key in the keyring (and no logout
        took it out since)."""
        entry = self.remotes.get(remote)
        return entry is not None and entry.api_key_in_keyring

    def key_path(self, default_key_file: Path) -> Path:
        """The key the block and the connect path use: the one chosen, else the default."""
        return Path(self.key_file) if self.key_file else default_key_file

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], source: Path) -> Settings:
        try:
            return cls(
                options=BlockOptions(**data.get("options", {})),
                refresh_margin_seconds=int(
                    data.get("refresh_margin_seconds", DEFAULT_REFRESH_MARGIN_SECONDS)
                ),
                default_remote=str(data.get("default_remote", DEFAULT_REMOTE)),
                remotes={
                    str(name): Remote(**value)
                    for name, value in dict(data.get("remotes", {})).items()
                },
                key_file=data.get("key_file"),
                python=_optional_text(data.get("python")),
                ssh_config=_optional_text(data.get("ssh_config")),
                created_config=_optional_text(data.get("created_config")),
            )
        except (TypeError, ValueError) as exc:
            raise BadInput(
                f"{source}: unexpected settings ({exc})",
                hint=f"fix or delete {source}; `sshsetup setup` writes it again",
            ) from None


def _optional_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise TypeError(f"expected a string, got {value!r}")


def load_settings(path: Path) -> Settings:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadInput(
            f"{path} line {exc.lineno if hasattr(exc, 'lineno') else '?'}: not valid JSON",
            hint=f"fix or delete {path}; `sshsetup setup` writes it again",
        ) from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a JSON object", hint=f"fix or delete {path}")
    return Settings.from_json(data, path)
