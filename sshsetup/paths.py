"""Every file location sshsetup uses, computed in one place from the environment.

Commands receive a ``Paths`` (through their Context) instead of looking things up, so tests
point the whole tool at a temporary directory. Overrides (all optional):

- ``SSHSETUP_CONFIG_DIR``: the tool's settings (default: platformdirs user config dir)
- ``SSHSETUP_STATE_DIR``: backups, lock, per-host session cache (default: platformdirs state dir)
- ``SSHSETUP_KEY_DIR``: key pair and per-host certificates (default: ``~/.ssh/sshsetup``)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sshsetup.baseten import TRUSS_KEY_DIR_NAME
from sshsetup.connect.environment import (
    KEY_DIR_ENV,
    SETTINGS_DIR_ENV,
    STATE_DIR_ENV,
    home_directory,
)
from sshsetup.connect.installation import (
    FILE_NAME as INSTALLATION_FILE_NAME,
)
from sshsetup.connect.installation import (
    PLAINTEXT_KEYS_FILE_NAME,
    SETTINGS_FILE_NAME,
    Installation,
)

if TYPE_CHECKING:
    from sshsetup.connect.credentials import CredentialFiles

APP_NAME = "sshsetup"
KEY_NAME = "id_ed25519"


@dataclass(frozen=True)
class Paths:
    home: Path
    ssh_config: Path
    key_dir: Path
    settings_dir: Path
    state_dir: Path

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @property
    def key_file(self) -> Path:
        """sshsetup's own key (settings may name another: ``Settings.key_path``)."""
        return self.key_dir / KEY_NAME

    @property
    def public_key_file(self) -> Path:
        return self.key_dir / (KEY_NAME + ".pub")

    @property
    def cert_dir(self) -> Path:
        return self.key_dir / "certs"

    @property
    def installation_file(self) -> Path:
        """What the connect path needs, written by setup beside the key (connect.json)."""
        return self.key_dir / INSTALLATION_FILE_NAME

    @property
    def settings_file(self) -> Path:
        return self.settings_dir / SETTINGS_FILE_NAME

    @property
    def plaintext_keys_file(self) -> Path:
        return self.settings_dir / PLAINTEXT_KEYS_FILE_NAME

    @property
    def credential_files(self) -> CredentialFiles:
        from sshsetup.connect.credentials import CredentialFiles

        return CredentialFiles(str(self.plaintext_keys_file), str(self.home))

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
    def job_list_file(self) -> Path:
        """The job ids `sshsetup list` found last, for shell completion."""
        return self.state_dir / "listed-jobs.tsv"

    @property
    def truss_key_dir(self) -> Path:
        return self.ssh_dir / TRUSS_KEY_DIR_NAME

    def installation(self, key_file: Path, refresh_margin_seconds: int) -> Installation:
        """The connect path's view of these paths (what connect.json holds)."""
        return Installation(
            key_dir=str(self.key_dir),
            key_file=str(key_file),
            cert_dir=str(self.cert_dir),
            session_dir=str(self.session_dir),
            settings_dir=str(self.settings_dir),
            state_dir=str(self.state_dir),
            refresh_margin_seconds=refresh_margin_seconds,
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str], ssh_config: Path | None = None) -> Paths:
        home = Path(home_directory(env))
        settings_dir = env.get(SETTINGS_DIR_ENV)
        state_dir = env.get(STATE_DIR_ENV)
        if not (settings_dir and state_dir):
            import platformdirs

            dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
            settings_dir = settings_dir or dirs.user_config_dir
            state_dir = state_dir or dirs.user_state_dir
        key_dir = env.get(KEY_DIR_ENV) or str(home / ".ssh" / APP_NAME)
        return cls(
            home=home,
            ssh_config=Path(ssh_config) if ssh_config else home / ".ssh" / "config",
            key_dir=Path(key_dir),
            settings_dir=Path(settings_dir),
            state_dir=Path(state_dir),
        )
