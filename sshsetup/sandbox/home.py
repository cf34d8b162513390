"""A HOME prepared for trying a running sandbox: trust, credentials, and an ssh config.

Files written under ``home`` (all throwaway, all owned by the sandbox):

- ``.ssh/sandbox_known_hosts``: the sandbox sshd's host key for ``*.ssh.baseten.co``;
- ``.ssh/sandbox_config``: the config to pass to ``ssh -F``; it sets what the sandbox needs
  and then includes ``.ssh/config`` (where ``sshsetup setup`` puts the managed block);
- ``.trussrc``: a ``[sandbox]`` section, so truss's own helper works against it too;
- the tool's settings: remote ``sandbox`` (the API's URL) as the default remote;
- ``sandbox.env``: the environment as shell ``export`` lines.
"""

from __future__ import annotations

import configparser
import io
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import ANY_HOST_GLOB
from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.settings import Remote, load_settings
from sshsetup.errors import BadInput
from sshsetup.paths import Paths
from sshsetup.sandbox import Sandbox
from sshsetup.sandbox.sshd import local_user, running_as_root
from sshsetup.settings_store import save_settings

SANDBOX_REMOTE = "sandbox"

EXAMPLE_HOSTS = (
    "training-job-demo-0.ssh.baseten.co",
    "model-demo-v1.ssh.baseten.co",
    "production.model-demo.ssh.baseten.co",
)


@dataclass(frozen=True)
class SandboxHome:
    home: Path
    ssh_config: Path  # for `ssh -F`
    known_hosts: Path
    env_file: Path
    env: dict[str, str]

    def try_command(self, host: str = EXAMPLE_HOSTS[0]) -> str:
        env_file, ssh_config = shlex.quote(str(self.env_file)), shlex.quote(str(self.ssh_config))
        return f"(. {env_file} && ssh -F {ssh_config} {host})"


def check_not_real_home(home: Path) -> None:
    """The sandbox overwrites .trussrc and settings in its HOME: never the user's own."""
    real_homes = {Path(os.path.expanduser("~")).resolve()}
    if not running_as_root():
        import pwd

        real_homes.add(Path(pwd.getpwuid(os.geteuid()).pw_dir).resolve())
    if home.resolve() in real_homes:
        raise BadInput(
            f"--home {home} is your own home directory; the sandbox writes throwaway "
            "credentials, settings and an ssh config into the home it prepares",
            hint="give an empty or scratch directory, or leave --home out for a temporary one",
        )


def prepare_home(sandbox: Sandbox, home: Path) -> SandboxHome:
    env = sandbox.client_env(home)
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    known_hosts = ssh_dir / "sandbox_known_hosts"
    known_host_line = f"{ANY_HOST_GLOB} {sandbox.host_public_key}\n"
    write_atomic(known_hosts, known_host_line.encode(), new_file_mode=0o644)
    _write_trussrc(home / ".trussrc", sandbox)
    _remember_remote(Paths.from_environment(env), sandbox.api_url)
    ssh_config = ssh_dir / "sandbox_config"
    config_text = _ssh_config_text(ssh_config, known_hosts, ssh_dir / "config")
    write_atomic(ssh_config, config_text.encode(), new_file_mode=0o600)
    env_file = home / "sandbox.env"
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
    write_atomic(env_file, exports.encode(), new_file_mode=0o600)
    return SandboxHome(home, ssh_config, known_hosts, env_file, env)


def _ssh_config_text(path: Path, known_hosts: Path, included: Path) -> str:
    lines = [
        "# Written by `sshsetup sandbox` for a throwaway local Baseten. Try:",
        f"#   ssh -F '{path}' {EXAMPLE_HOSTS[0]}",
        f"Host {ANY_HOST_GLOB}",
        f'  UserKnownHostsFile "{known_hosts}"',
    ]
    if not running_as_root():
        # Unprivileged, the sandbox's sshd can only log in this user; first value wins,
        # so this line beats the managed block's `User baseten` / `User app`.
        lines.append(f"  User {local_user()}")
    lines += ["Match all", f'  Include "{included}"', ""]
    return "\n".join(lines)


def _write_trussrc(path: Path, sandbox: Sandbox) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except configparser.Error:
        raise BadInput(
            f"{path} is not a valid INI file, so the sandbox cannot add its [sandbox] section",
            hint=f"delete {path} (it is in the sandbox's home) or choose another --home",
        ) from None
    parser[SANDBOX_REMOTE] = {
        "remote_provider": "baseten",
        "api_key": sandbox.api_key,
        "remote_url": sandbox.api_url,
    }
    text = io.StringIO()
    parser.write(text)
    write_atomic(path, text.getvalue().encode(), new_file_mode=0o600)


def _remember_remote(paths: Paths, api_url: str) -> None:
    settings = load_settings(paths.settings_file)
    settings.remotes[SANDBOX_REMOTE] = Remote(base_url=api_url)
    settings.default_remote = SANDBOX_REMOTE
    save_settings(paths.settings_file, settings)
