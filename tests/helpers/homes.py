"""A throwaway HOME with every sshsetup location inside it, and a real keyring file.

``Home`` points SSHSETUP_CONFIG_DIR, SSHSETUP_STATE_DIR, SSHSETUP_KEY_DIR and HOME into a
temporary directory, so no test touches the real ~/.ssh. Its keyring is keyrings.alt's
PlaintextKeyring (a real file-backed backend, ``PYTHON_KEYRING_BACKEND``) whose file lives
under ``XDG_DATA_HOME`` inside the home, as does ``XDG_CONFIG_HOME`` (so no
``keyringrc.cfg`` of the machine applies); the D-Bus session points nowhere (no real
Secret Service is ever reached), and Baseten's variables are removed from the inherited
environment.

``run`` runs the CLI in-process (helpers.cli.run_in_process), ``run_process`` as a real
process; ``context`` builds the Context a command gets, for calling a command directly.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from helpers import FIXTURES_DIR, REPO_ROOT, TESTS_DIR
from helpers.cli import CliResult, changed_env, run_in_process, run_process
from helpers.configs import FIXTURE_CONFIGS
from helpers.keyrings import PLAINTEXT_BACKEND, REFUSING_BACKEND
from helpers.ssh import SshG, ssh_g
from sshsetup.connect.settings import BlockOptions, Settings
from sshsetup.context import Context
from sshsetup.interpreter import choose_interpreter
from sshsetup.paths import Paths
from sshsetup.platforms import Platform
from sshsetup.prompts import Prompter
from sshsetup.setup_plan import block_spec
from sshsetup.sshconfig.block import BlockSpec

TRUSSRC_FIXTURES = FIXTURES_DIR / "trussrc"
INHERITED_CREDENTIAL_ENV = (
    "BASETEN_API_KEY",
    "BASETEN_BASE_URL",
    "BASETEN_CONFIG_DIR",
    "BASETEN_PROFILE",
    "BASETEN_MANAGEMENT_API_URL_OVERRIDE",
    "BASETEN_REMOTE_URL",
    "USER_TRUSSRC_PATH",
    "PYTHON_KEYRING_BACKEND",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "DBUS_SESSION_BUS_ADDRESS",
)


@dataclass
class Home:
    home: Path
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.ssh_dir.mkdir(parents=True, mode=0o700)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SSHSETUP_")
            and key != "PYTHONPATH"
            and key not in INHERITED_CREDENTIAL_ENV
        }
        env.update(
            HOME=str(self.home),
            SHELL="/bin/sh",
            SSHSETUP_CONFIG_DIR=str(self.settings_dir),
            SSHSETUP_STATE_DIR=str(self.state_dir),
            SSHSETUP_KEY_DIR=str(self.key_dir),
            SSHSETUP_SSH_CONFIG=str(self.config),  # never the real one ssh reads
            PYTHONPATH=str(REPO_ROOT),
            NO_COLOR="1",
            PYTHON_KEYRING_BACKEND=PLAINTEXT_BACKEND,
            XDG_DATA_HOME=str(self.home / "xdg-data"),
            XDG_CONFIG_HOME=str(self.home / "xdg-config"),
            DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.home / 'no-dbus-here'}",
        )
        self.env = env

    # --- where things are ---------------------------------------------------------------

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @property
    def config(self) -> Path:
        return self.ssh_dir / "config"

    @property
    def settings_dir(self) -> Path:
        return self.home / "sshsetup-config"

    @property
    def state_dir(self) -> Path:
        return self.home / "sshsetup-state"

    @property
    def key_dir(self) -> Path:
        return self.ssh_dir / "sshsetup"

    @property
    def key_file(self) -> Path:
        return self.key_dir / "id_ed25519"

    @property
    def paths(self) -> Paths:
        return Paths.from_environment(self.env)

    @property
    def keyring_file(self) -> Path:
        return self.home / "xdg-data" / "python_keyring" / "keyring_pass.cfg"

    @property
    def plaintext_keys_file(self) -> Path:
        return self.settings_dir / "api-keys.plaintext.json"

    @property
    def settings_json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.settings_dir / "settings.json").read_text())
        return data

    # --- running sshsetup -----------------------------------------------------------------

    def run(self, *args: str, input_text: str | None = None) -> CliResult:
        """``sshsetup ARGS`` in-process in this home."""
        return run_in_process(self.env, *args, stdin=input_text or "")

    def run_with(
        self, changes: Mapping[str, str | None], *args: str, input_text: str | None = None
    ) -> CliResult:
        """In-process, with environment changes (None removes a variable)."""
        return run_in_process(self.env_with(changes), *args, stdin=input_text or "")

    def run_process(self, *args: str, input_text: str | None = None) -> CliResult:
        """``python -m sshsetup ARGS`` as a real process in this home."""
        return run_process(self.env, *args, input_text=input_text)

    def env_with(self, changes: Mapping[str, str | None]) -> dict[str, str]:
        return changed_env(self.env, changes)

    def context(self, platform: Platform | None = None) -> Context:
        """The Context a command run in this home gets (no terminal: prompts take defaults)."""
        return Context(
            env=self.env,
            paths=self.paths,
            prompter=Prompter(interactive=False),
            stdin=io.BytesIO(),
            _platform=platform,
        )

    # --- the ssh config -------------------------------------------------------------------

    def ssh_g(self, host: str, config: Path | None = None) -> SshG:
        return ssh_g(config or self.config, host, self.env)

    def spec(self, options: BlockOptions | None = None) -> BlockSpec:
        """The block this home's `sshsetup setup` would write, for the pure-level tests."""
        options = options or BlockOptions()
        interpreter = choose_interpreter(None, self.env)
        return block_spec(self.context(), Settings(options=options), options, interpreter)

    def write_config(self, data: bytes, mode: int = 0o600) -> Path:
        self.config.write_bytes(data)
        self.config.chmod(mode)
        return self.config

    def install_fixture(self, name: str) -> bytes:
        """Copy fixtures/configs/NAME to ~/.ssh/config, ``@HOME@`` replaced by this home."""
        data = (FIXTURE_CONFIGS / name).read_bytes().replace(b"@HOME@", os.fsencode(self.home))
        self.write_config(data)
        return data

    # --- credentials ----------------------------------------------------------------------

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

    def with_refusing_backend(self) -> dict[str, str | None]:
        """Environment changes choosing helpers.keyrings.RefusingKeyring."""
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
        """The credential lookup (``look_up``), called in a fresh process of this home: the
        secret as ``key``, its scheme, and where it was found.

        ``connect_path_flags``: run as the Match hook and ProxyCommand do, ``python -I -S``.
        """
        script = (
            "import json, os, sys\n"
            "sys.path.insert(0, sys.argv[2])\n"
            "from sshsetup.connect.credentials import look_up\n"
            "from sshsetup.paths import Paths\n"
            "files = Paths.from_environment(os.environ).credential_files\n"
            "found, source = look_up(sys.argv[1], files, os.environ)\n"
            "print(json.dumps({'key': found and found.secret, 'scheme': found and found.scheme,\n"
            "                  'api_base_url': found and found.api_base_url,\n"
            "                  **source.to_json()}))\n"
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
