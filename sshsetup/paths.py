"""Every file location sshsetup uses, computed in one place from HOME and the environment.

Commands receive a ``Paths`` instead of looking things up, so tests point the
whole tool at a temporary directory. Overrides (all optional):

- ``SSHSETUP_CONFIG_DIR``: the tool's settings (default: platformdirs user config dir)
- ``SSHSETUP_STATE_DIR``: backups, lock, per-host session cache (default: platformdirs state dir)
- ``SSHSETUP_KEY_DIR``: key pair and per-host certificates (default: ``~/.ssh/sshsetup``)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "sshsetup"
KEY_NAME = "id_ed25519"
TRUSS_KEY_DIR_NAME = "baseten"  # ~/.ssh/baseten, where `truss ssh setup` keeps its key


@dataclass(frozen=True)
class Paths:
    home: Path
    ssh_config: Path
    key_dir: Path
    config_dir: Path
    state_dir: Path

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @property
    def key_file(self) -> Path:
        return self.key_dir / KEY_NAME

    @property
    def public_key_file(self) -> Path:
        return self.key_dir / (KEY_NAME + ".pub")

    @property
    def cert_dir(self) -> Path:
        return self.key_dir / "certs"

    @property
    def connect_settings(self) -> Path:
        """What the connect path needs, written by setup beside the key (see connect/)."""
        return self.key_dir / "connect.json"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def session_dir(self) -> Path:
        """Per-host JWT and proxy address cache, 0700 with 0600 files."""
        return self.state_dir / "sessions"

    @property
    def backup_dir(self) -> Path:
        return self.state_dir / "backups"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "setup.lock"

    @property
    def truss_key_dir(self) -> Path:
        return self.ssh_dir / TRUSS_KEY_DIR_NAME

    @classmethod
    def from_environment(
        cls,
        env: Mapping[str, str] | None = None,
        ssh_config: Path | None = None,
    ) -> Paths:
        env = os.environ if env is None else env
        # Win32-OpenSSH reads the profile directory, whatever HOME (Git Bash) says (D5).
        home_variables = ("USERPROFILE", "HOME") if is_windows() else ("HOME", "USERPROFILE")
        home = Path(next((env[name] for name in home_variables if env.get(name)), Path.home()))
        config_dir = env.get("SSHSETUP_CONFIG_DIR")
        state_dir = env.get("SSHSETUP_STATE_DIR")
        if not (config_dir and state_dir):
            import platformdirs

            dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
            config_dir = config_dir or dirs.user_config_dir
            state_dir = state_dir or dirs.user_state_dir
        key_dir = env.get("SSHSETUP_KEY_DIR") or str(home / ".ssh" / APP_NAME)
        return cls(
            home=home,
            ssh_config=Path(ssh_config) if ssh_config else home / ".ssh" / "config",
            key_dir=Path(key_dir),
            config_dir=Path(config_dir),
            state_dir=Path(state_dir),
        )


def is_windows() -> bool:
    return sys.platform == "win32"
