"""Every file location sshsetup uses, computed in one place from the environment.

Commands receive a ``Paths`` (through their Context) instead of looking things up, so tests
point the whole tool at a temporary directory. Overrides (all optional):

- ``SSHSETUP_CONFIG_DIR``: the tool's settings (default: platformdirs user config dir)
- ``SSHSETUP_STATE_DIR``: backups, lock, per-host session cache (default: platformdirs state dir)
- ``SSHSETUP_KEY_DIR``: key pair, per-host certificates and the runtime (default:
  ``~/.ssh/sshsetup``)
- ``SSHSETUP_SSH_CONFIG``: the ssh config to manage

The ssh config is, in this order: ``--config``, ``SSHSETUP_SSH_CONFIG``, the one a
``setup --config`` remembered, else the file ssh itself reads: ``.ssh/config`` under the
home of the passwd entry, which is not always ``$HOME``
(docs/ssh-config.md#the-home-ssh-reads-its-config-from).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sshsetup.baseten import TRUSS_KEY_DIR_NAME
from sshsetup.connect.environment import (
    KEY_DIR_ENV,
    SETTINGS_DIR_ENV,
    SSH_CONFIG_ENV,
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
RUNTIME_DIR_NAME = "runtime"
# Where the ssh config in use comes from (Paths.ssh_config_origin).
FROM_OPTION = "--config"
FROM_ENV = SSH_CONFIG_ENV
REMEMBERED = "remembered"  # by an earlier `setup --config`
SSH_DEFAULT = "default"  # the file ssh reads by itself


def passwd_home() -> Path | None:
    """The home ssh itself uses for ~/.ssh/config: the passwd entry's, not $HOME (None on
    Windows, where ssh uses the profile directory, or without a passwd entry)."""
    try:
        import pwd
    except ImportError:
        return None
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return None


@dataclass(frozen=True)
class Paths:
    home: Path
    ssh_config: Path
    key_dir: Path
    settings_dir: Path
    state_dir: Path
    ssh_home: Path  # the home whose .ssh/config ssh reads by itself (passwd entry's)
    ssh_config_origin: str = SSH_DEFAULT

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @property
    def ssh_reads(self) -> Path:
        """The user config ssh reads when it is given no ``-F``."""
        return self.ssh_home / ".ssh" / "config"

    @property
    def runtime_dir(self) -> Path:
        """sshsetup's copy of the connect path (layout: sshsetup.runtime)."""
        return self.key_dir / RUNTIME_DIR_NAME

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

    def installation(
        self,
        key_file: Path,
        refresh_margin_seconds: int,
        python: Path | None = None,
        keyring_site: Path | None = None,
    ) -> Installation:
        """The connect path's view of these paths (what connect.json holds)."""
        return Installation(
            key_dir=str(self.key_dir),
            key_file=str(key_file),
            cert_dir=str(self.cert_dir),
            session_dir=str(self.session_dir),
            settings_dir=str(self.settings_dir),
            state_dir=str(self.state_dir),
            refresh_margin_seconds=refresh_margin_seconds,
            python=str(python) if python else None,
            keyring_site=str(keyring_site) if keyring_site else None,
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str], ssh_config: Path | None = None) -> Paths:
        """The locations for ``env``; ``ssh_config``: the one given with ``--config``."""
        home = Path(home_directory(env))
        settings_dir = env.get(SETTINGS_DIR_ENV)
        state_dir = env.get(STATE_DIR_ENV)
        if not (settings_dir and state_dir):
            import platformdirs

            dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
            settings_dir = settings_dir or dirs.user_config_dir
            state_dir = state_dir or dirs.user_state_dir
        key_dir = env.get(KEY_DIR_ENV) or str(home / ".ssh" / APP_NAME)
        ssh_home = passwd_home() or home
        config, origin = _ssh_config(env, ssh_config, Path(settings_dir) / SETTINGS_FILE_NAME)
        return cls(
            home=home,
            ssh_config=config or ssh_home / ".ssh" / "config",
            key_dir=Path(key_dir),
            settings_dir=Path(settings_dir),
            state_dir=Path(state_dir),
            ssh_home=ssh_home,
            ssh_config_origin=origin,
        )


def _ssh_config(
    env: Mapping[str, str], given: Path | None, settings_file: Path
) -> tuple[Path | None, str]:
    """The ssh config and where it comes from (None: ssh's own default)."""
    if given:
        return Path(given), FROM_OPTION
    if env.get(SSH_CONFIG_ENV):
        return Path(env[SSH_CONFIG_ENV]), FROM_ENV
    from sshsetup.connect.settings import load_settings

    remembered = load_settings(settings_file).ssh_config
    if remembered:
        return Path(remembered), REMEMBERED
    return None, SSH_DEFAULT


def config_note(paths: Paths) -> str | None:
    """What to know about the ssh config in use, when it is not simply the one ssh reads
    from $HOME (docs/ssh-config.md#the-home-ssh-reads-its-config-from); None otherwise."""
    if paths.ssh_config == paths.ssh_reads:
        if paths.ssh_home == paths.home:
            return None
        return (
            f"$HOME is {paths.home}, but ssh reads {paths.ssh_reads} (your passwd entry's "
            f"home), so that is the file sshsetup manages; ssh does not read "
            f"{paths.home / '.ssh' / 'config'} unless given -F"
        )
    origin = {
        FROM_OPTION: "given with --config",
        FROM_ENV: f"from {SSH_CONFIG_ENV}",
        REMEMBERED: "remembered from `sshsetup setup --config`",
    }.get(paths.ssh_config_origin, paths.ssh_config_origin)
    return (
        f"{paths.ssh_config} ({origin}) is not the file ssh reads by itself "
        f"({paths.ssh_reads}): ssh uses it with `ssh -F {paths.ssh_config}`, or through an "
        "Include in that file"
    )
