"""``<key_dir>/connect.json``: what the connect path needs, written by ``sshsetup setup``.

The Match hook and the ProxyCommand get only ``<key_dir>`` from ssh; this file tells them
where everything else is, so they need neither the environment sshsetup ran in nor
platformdirs. Lean on purpose: plain strings and os.path (pathlib imports ``re``).
"""

from __future__ import annotations

import os

from sshsetup.connect import jsonfile

TYPE_CHECKING = False  # typing costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from sshsetup.paths import Paths

FILE_NAME = "connect.json"
VERSION = 1
_PATH_FIELDS = ("key_file", "cert_dir", "session_dir", "config_dir", "state_dir")


class ConnectSettingsError(ValueError):
    """connect.json is missing or unusable; ``hint`` says how to fix it."""

    def __init__(self, message: str, hint: str = "run `sshsetup setup` to write it again") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConnectSettings:
    __slots__ = (*_PATH_FIELDS, "refresh_margin_seconds", "key_dir")

    def __init__(
        self,
        key_dir: str,
        key_file: str,
        cert_dir: str,
        session_dir: str,
        config_dir: str,
        state_dir: str,
        refresh_margin_seconds: int,
    ) -> None:
        self.key_dir = key_dir
        self.key_file = key_file
        self.cert_dir = cert_dir
        self.session_dir = session_dir
        self.config_dir = config_dir
        self.state_dir = state_dir
        self.refresh_margin_seconds = refresh_margin_seconds

    @property
    def public_key_file(self) -> str:
        return self.key_file + ".pub"

    def cert_file(self, cache_key: str) -> str:
        """What the block's ``CertificateFile "<cert_dir>/%h-cert.pub"`` expands to."""
        return os.path.join(self.cert_dir, cache_key + "-cert.pub")

    def session_file(self, cache_key: str) -> str:
        return os.path.join(self.session_dir, cache_key + ".json")

    def lock_file(self, cache_key: str) -> str:
        return os.path.join(self.session_dir, cache_key + ".lock")

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"version": VERSION}
        data.update({name: getattr(self, name) for name in _PATH_FIELDS})
        data["refresh_margin_seconds"] = self.refresh_margin_seconds
        return data

    def paths(self, env: Mapping[str, str]) -> Paths:
        """The tool's Paths as setup saw them (for credentials and remotes on the fetch path)."""
        from pathlib import Path

        from sshsetup.paths import Paths

        home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
        return Paths(
            home=home,
            ssh_config=home / ".ssh" / "config",
            key_dir=Path(self.key_dir),
            config_dir=Path(self.config_dir),
            state_dir=Path(self.state_dir),
        )

    @classmethod
    def from_paths(
        cls, paths: Paths, refresh_margin_seconds: int, key_file: Path | None = None
    ) -> ConnectSettings:
        return cls(
            key_dir=str(paths.key_dir),
            key_file=str(key_file or paths.key_file),
            cert_dir=str(paths.cert_dir),
            session_dir=str(paths.session_dir),
            config_dir=str(paths.config_dir),
            state_dir=str(paths.state_dir),
            refresh_margin_seconds=refresh_margin_seconds,
        )


def load_connect_settings(key_dir: str) -> ConnectSettings:
    path = os.path.join(key_dir, FILE_NAME)
    try:
        data = jsonfile.read_object(path)
    except OSError as exc:
        raise ConnectSettingsError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConnectSettingsError(f"{path} is corrupt ({exc})") from None
    if data is None:
        raise ConnectSettingsError(f"{path} is missing")
    if data.get("version") != VERSION:
        raise ConnectSettingsError(
            f"{path} has version {data.get('version')!r}; this sshsetup reads version {VERSION}"
        )
    values = {name: data.get(name) for name in _PATH_FIELDS}
    margin = data.get("refresh_margin_seconds")
    if not all(isinstance(value, str) and value for value in values.values()) or not (
        isinstance(margin, int) and margin >= 0
    ):
        raise ConnectSettingsError(f"{path} lacks a field or has one of the wrong type")
    return ConnectSettings(
        key_dir=key_dir,
        key_file=str(values["key_file"]),
        cert_dir=str(values["cert_dir"]),
        session_dir=str(values["session_dir"]),
        config_dir=str(values["config_dir"]),
        state_dir=str(values["state_dir"]),
        refresh_margin_seconds=margin,
    )


def write_connect_settings(
    paths: Paths, refresh_margin_seconds: int, key_file: Path | None = None
) -> Path:
    """Write ``<key_dir>/connect.json`` (0600). ``key_file``: default the one settings name
    (a key reused from truss), else ``paths.key_file``."""
    import json

    from sshsetup.connect.atomic_write import ensure_private_dir, write_atomic

    if key_file is None:
        from pathlib import Path

        from sshsetup.settings import load_settings

        remembered = load_settings(paths.settings_file).key_file
        key_file = Path(remembered) if remembered else paths.key_file
    settings = ConnectSettings.from_paths(paths, refresh_margin_seconds, key_file)
    ensure_private_dir(paths.key_dir)
    target = paths.connect_settings
    data = (json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n").encode()
    try:
        unchanged = target.read_bytes() == data
    except OSError:
        unchanged = False
    if not unchanged:
        write_atomic(target, data, new_file_mode=0o600)
    return target
