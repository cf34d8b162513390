"""A workstation set up as a user would (``sshsetup setup`` + ``login``), against the sandbox.

Everything lives in a temporary home: sshsetup's directories, the ssh config, a real
file-backed keyring (keyrings.alt's PlaintextKeyring, chosen by PYTHON_KEYRING_BACKEND)
and a known_hosts file holding the sandbox sshd's host key. ssh reads ~/.ssh/config from
the passwd entry, not $HOME, so every ssh gets ``-F``; ssh's connection sharing is off so
that every run pays for its own connection.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sshsetup.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING_HOST = "training-job-demo-0.ssh.baseten.co"
MODEL_HOST = "model-abc123-def456.ssh.baseten.co"
ENVIRONMENT_HOST = "production.model-abc123.ssh.baseten.co"
BLOCK_USERS = {TRAINING_HOST: "baseten", MODEL_HOST: "app", ENVIRONMENT_HOST: "app"}
KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"
_DROPPED_ENV_PREFIXES = ("SSHSETUP_", "BASETEN_", "XDG_")
# PYTHONDONTWRITEBYTECODE too: the warm-up rounds fill the bytecode caches, as an install has.
_DROPPED_ENV = (
    "PYTHONPATH",
    "SSH_AUTH_SOCK",
    "PYTHON_KEYRING_BACKEND",
    "USER_TRUSSRC_PATH",
    "PYTHONDONTWRITEBYTECODE",
)


def python_command() -> list[str]:
    """The interpreter running the suite (its real binary, not a version manager's shim)."""
    return [sys.executable]


def cli_command() -> list[str]:
    """How a user starts sshsetup: the installed console script when it runs this checkout,
    else ``python -m sshsetup`` (a clean checkout, not installed)."""
    script = Path(sys.executable).with_name("sshsetup")
    if script.is_file() and _installed_from_this_checkout():
        return [str(script)]
    return [sys.executable, "-m", "sshsetup"]


def _installed_from_this_checkout() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import sshsetup; print(sshsetup.__file__)"],
        capture_output=True, text=True, cwd="/", check=False,
    )  # fmt: skip
    return probe.returncode == 0 and Path(probe.stdout.strip()).is_relative_to(REPO_ROOT)


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without anything sshsetup or Baseten would read, and with
    every sshsetup location inside ``home``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_DROPPED_ENV_PREFIXES) and name not in _DROPPED_ENV
    }
    env.update(
        HOME=str(home),
        SHELL="/bin/sh",
        NO_COLOR="1",
        SSHSETUP_CONFIG_DIR=str(home / "sshsetup-config"),
        SSHSETUP_STATE_DIR=str(home / "sshsetup-state"),
        SSHSETUP_KEY_DIR=str(home / ".ssh" / "sshsetup"),
        SSHSETUP_SSH_CONFIG=str(home / ".ssh" / "config"),  # not the real one ssh reads
        PYTHON_KEYRING_BACKEND=KEYRING_BACKEND,
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={home / 'no-dbus-here'}",
    )
    return env


def make_home(home: Path) -> dict[str, str]:
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    return clean_env(home)


def run_cli(env: dict[str, str], *args: str, input_text: str = "") -> str:
    """Run sshsetup; its stdout, or BenchmarkError-worthy RuntimeError with its stderr."""
    done = subprocess.run(
        [*cli_command(), *args], capture_output=True, text=True, env=env, input=input_text,
        cwd=REPO_ROOT, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"sshsetup {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


@dataclass
class Workstation:
    home: Path
    sandbox: Sandbox
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.env = make_home(self.home)
        client = self.sandbox.client_env(self.home)
        self.env["SSL_CERT_FILE"] = client["SSL_CERT_FILE"]
        self.env["BASETEN_BASE_URL"] = client["BASETEN_BASE_URL"]
        run_cli(self.env, "setup", "--yes")
        run_cli(self.env, "login", "--api-key-stdin", input_text=self.sandbox.api_key + "\n")
        self.known_hosts.write_text(
            "".join(
                f"[{name}]:{self.sandbox.sshd_port} {self.sandbox.host_public_key}\n"
                for name in ("127.0.0.1", *BLOCK_USERS)
            )
        )

    # --- locations ------------------------------------------------------------------------

    @property
    def config(self) -> Path:
        return self.home / ".ssh" / "config"

    @property
    def known_hosts(self) -> Path:
        return self.home / ".ssh" / "known_hosts.bench"

    @property
    def key_dir(self) -> Path:
        return Path(self.env["SSHSETUP_KEY_DIR"])

    def cached_files(self, host: str) -> list[Path]:
        """The host's certificate and session: deleting both makes the cache cold."""
        settings = json.loads((self.key_dir / "connect.json").read_text())
        return [
            Path(settings["cert_dir"]) / f"{host}-cert.pub",
            Path(settings["session_dir"]) / f"{host}.json",
        ]

    def empty_cache(self, host: str, forget_job: bool = False) -> None:
        """Delete the host's certificate and session; ``forget_job`` also the remembered
        training project, as for a job never connected to before."""
        for path in self.cached_files(host):
            path.unlink(missing_ok=True)
        if forget_job:
            path = self.cached_files(host)[1].with_suffix(".project")
            path.unlink(missing_ok=True)

    # --- commands -------------------------------------------------------------------------

    def login_user(self, host: str) -> str:
        """Who to log in as: the block's user as root (the sandbox sshd has it), else the
        one account a non-root sshd can log in."""
        return BLOCK_USERS[host] if os.geteuid() == 0 else self.sandbox.login_users[0]

    def _common_ssh_options(self, host: str) -> list[str]:
        user = [] if os.geteuid() == 0 else ["-l", self.login_user(host)]
        return [
            "-o", "BatchMode=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "LogLevel=ERROR", "-p", str(self.sandbox.sshd_port), *user,
        ]  # fmt: skip

    def ssh_through_proxy(self, host: str, command: str) -> list[str]:
        """``ssh host command`` as the user runs it: the block's hook and ProxyCommand."""
        return ["ssh", "-F", str(self.config), *self._common_ssh_options(host), host, command]

    def sshsetup_ssh(self, job_id: str, command: str) -> list[str]:
        """``sshsetup ssh JOB -- … command``: the same ssh run as ``ssh_through_proxy`` of the
        job's node 0, by way of the wrapper (its checks, then exec)."""
        host = f"training-job-{job_id}-0.ssh.baseten.co"
        return [
            *cli_command(), "ssh", job_id, "--config", str(self.config),
            "--", *self._common_ssh_options(host), command,
        ]  # fmt: skip

    def ssh_direct(self, host: str, command: str) -> list[str]:
        """Straight to the same sshd on loopback, with the same key and certificate."""
        certificate = self.cached_files(host)[0]
        return [
            "ssh", "-F", "/dev/null", *self._common_ssh_options(host),
            "-i", str(self.key_dir / "id_ed25519"), "-o", f"CertificateFile={certificate}",
            "-o", "IdentitiesOnly=yes", "-l", self.login_user(host), "127.0.0.1", command,
        ]  # fmt: skip

    def hook_command(self, host: str) -> list[str]:
        """The exact command the block's ``Match ... exec`` runs for ``host``, as ssh runs it:
        ``$SHELL -c "<command>"`` (SHELL is /bin/sh here)."""
        return [self.env["SHELL"], "-c", self._exec_command(host)]

    def hook_entry_command(self, host: str) -> list[str]:
        """Only the interpreter running the runtime's hook entry script (no shell, no guard)."""
        words = shlex.split(self._exec_command(host))
        start = words.index("&&", words.index("&&") + 1) + 1
        return words[start : words.index("||")]

    def _exec_command(self, host: str) -> str:
        for line in self.config.read_text().splitlines():
            words = shlex.split(line)
            if words[:2] == ["Match", "host"] and host.startswith(words[2].split("*")[0]):
                exec_at = [word.lower() for word in words].index("exec")
                return words[exec_at + 1].replace("%h", host).replace("%%", "%")
        raise RuntimeError(f"no Match exec line for {host} in {self.config}")

    def connect_once(self, host: str) -> None:
        """One real connection (fills the cache for ``host``)."""
        done = subprocess.run(
            self.ssh_through_proxy(host, "true"), capture_output=True, text=True, env=self.env,
            stdin=subprocess.DEVNULL, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"ssh {host} true failed: {done.stderr}")
