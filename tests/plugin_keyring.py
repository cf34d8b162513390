"""Fixtures for the credential tests: a temporary home with a real, desktop-free keyring.

The keyring backend is keyrings.alt's ``PlaintextKeyring`` (a real file-backed backend),
chosen the documented way, ``PYTHON_KEYRING_BACKEND``; its file lives under
``XDG_DATA_HOME``, pointed into the temporary home, as is ``XDG_CONFIG_HOME`` (so no
``keyringrc.cfg`` of the machine applies) and the D-Bus session (so no real Secret Service
is ever reached). Baseten's variables are removed from the inherited environment.

``RefusingKeyring`` below is a backend that behaves like a locked OS keyring, and, worse,
puts the password it was given into its error: loaded by ``PYTHON_KEYRING_BACKEND=
plugin_keyring.RefusingKeyring`` (this directory on PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked
from plugin_setup import REPO_ROOT, CliResult, SetupHome, changed_env, run_sshsetup

PLAINTEXT_BACKEND = "keyrings.alt.file.PlaintextKeyring"
REFUSING_BACKEND = "plugin_keyring.RefusingKeyring"
TESTS_DIR = Path(__file__).resolve().parent
TRUSSRC_FIXTURES = REPO_ROOT / "fixtures" / "trussrc"
INHERITED_CREDENTIAL_ENV = (
    "BASETEN_API_KEY",
    "BASETEN_BASE_URL",
    "USER_TRUSSRC_PATH",
    "PYTHON_KEYRING_BACKEND",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "DBUS_SESSION_BUS_ADDRESS",
)


class RefusingKeyring(KeyringBackend):
    """A locked keyring whose errors quote the password (sshsetup must not repeat it)."""

    priority = 5

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked(f"collection is locked (asked for {service}/{username})")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"collection is locked; refusing to store {password!r}")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("collection is locked")


@dataclass
class KeyringHome(SetupHome):
    """A SetupHome whose keyring is a real PlaintextKeyring file inside it."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in INHERITED_CREDENTIAL_ENV:
            self.env.pop(name, None)
        self.env.update(
            PYTHON_KEYRING_BACKEND=PLAINTEXT_BACKEND,
            XDG_DATA_HOME=str(self.home / "xdg-data"),
            XDG_CONFIG_HOME=str(self.home / "xdg-config"),
            DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.home / 'no-dbus-here'}",
        )

    @property
    def keyring_file(self) -> Path:
        return self.home / "xdg-data" / "python_keyring" / "keyring_pass.cfg"

    @property
    def plaintext_keys_file(self) -> Path:
        return self.config_dir / "api-keys.plaintext.json"

    @property
    def settings_json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.config_dir / "settings.json").read_text())
        return data

    def keyring_entry(self, remote: str, service: str = "sshsetup") -> str | None:
        """Read the backend's file with the backend itself, as another program would."""
        from keyrings.alt.file import PlaintextKeyring

        backend = PlaintextKeyring()
        backend.file_path = str(self.keyring_file)
        stored: str | None = backend.get_password(service, remote)
        return stored

    def put_keyring_entry(self, remote: str, value: str, service: str) -> None:
        from keyrings.alt.file import PlaintextKeyring

        backend = PlaintextKeyring()
        backend.file_path = str(self.keyring_file)
        backend.set_password(service, remote, value)

    def install_trussrc(self, fixture: str, path: Path | None = None) -> Path:
        target = path or self.home / ".trussrc"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((TRUSSRC_FIXTURES / fixture).read_bytes())
        return target

    def run_with(
        self, changes: Mapping[str, str | None], *args: str, input_text: str | None = None
    ) -> CliResult:
        """Run with environment changes (None removes a variable)."""
        return run_sshsetup(self.env_with(changes), *args, input_text=input_text)

    def env_with(self, changes: Mapping[str, str | None]) -> dict[str, str]:
        return changed_env(self.env, changes)

    def with_refusing_backend(self) -> dict[str, str | None]:
        return {
            "PYTHON_KEYRING_BACKEND": REFUSING_BACKEND,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(TESTS_DIR)]),
        }

    def resolve(
        self,
        remote: str,
        changes: Mapping[str, str | None] | None = None,
        connect_path_flags: bool = False,
    ) -> dict[str, object]:
        """resolve_api_key and api_key_source, called in a fresh process of this home.

        ``connect_path_flags``: run as the Match hook and ProxyCommand do, ``python -I -S``.
        """
        script = (
            "import json, os, sys\n"
            "sys.path.insert(0, sys.argv[2])\n"
            "from sshsetup.connect.credentials import api_key_source, resolve_api_key\n"
            "from sshsetup.paths import Paths\n"
            "paths = Paths.from_environment(os.environ)\n"
            "print(json.dumps({'key': resolve_api_key(sys.argv[1], paths, os.environ),\n"
            "                  **api_key_source(sys.argv[1], paths, os.environ).to_json()}))\n"
        )
        flags = ["-I", "-S"] if connect_path_flags else []
        completed = subprocess.run(
            [sys.executable, *flags, "-c", script, remote, str(REPO_ROOT)],
            capture_output=True,
            text=True,
            env=self.env_with(changes or {}),
            cwd=REPO_ROOT,
            timeout=60,
            check=True,
        )
        result: dict[str, object] = json.loads(completed.stdout)
        return result


@pytest.fixture
def keyring_home(tmp_path: Path) -> KeyringHome:
    return KeyringHome(tmp_path / "home")
