"""A real OpenSSH server on 127.0.0.1 that trusts the sandbox's CA for user certificates.

Run as root it logs in the accounts Baseten's hosts use (`baseten` for training jobs,
`app` for models); run as anyone else it can only log in that user (sshd cannot switch
users without root), so the API adds that user's name to every certificate's principals.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.errors import BadInput

BASETEN_ACCOUNTS = ("baseten", "app")
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
PRIVSEP_DIR = Path("/run/sshd")
SHADOW_FILE = Path("/etc/shadow")
READY_TIMEOUT_SECONDS = 10.0
START_ATTEMPTS = 3
# Newer sshd (9.8+) slows down clients whose logins fail, which fault tests do on purpose;
# older ones reject the keyword, so it is dropped when sshd says so.
PENALTIES_LINE = "PerSourcePenalties no"
# Connections that may be mid-handshake at once: sshd's default (10:30:100) starts dropping
# at 10; load tests open 64 at once (docs/certificates.md#a-loopback-test-sshd).
MAX_STARTUPS = 256
_rejects_penalties_line: set[str] = set()  # sshd binaries known to reject it


def running_as_root() -> bool:
    return os.geteuid() == 0


def local_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def login_users() -> tuple[str, ...]:
    """The accounts this sandbox's sshd can log in."""
    return BASETEN_ACCOUNTS if running_as_root() else (local_user(),)


def find_sshd() -> str:
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS])
    found = shutil.which("sshd", path=search)
    if found is None:
        raise BadInput(
            "no OpenSSH server (sshd) found on PATH or in " + ", ".join(SBIN_DIRS),
            hint="install it (Debian/Ubuntu: apt-get install openssh-server; it need not run "
            "as a service)",
        )
    return found


def _locked_accounts(names: tuple[str, ...], shadow: Path = SHADOW_FILE) -> list[str]:
    """Accounts whose password field starts with `!`: sshd without PAM refuses them
    (`User baseten not allowed because account is locked`), even for certificates."""
    try:
        lines = shadow.read_text(errors="replace").splitlines()
    except OSError:
        return []
    fields = (line.split(":") for line in lines)
    return [f[0] for f in fields if len(f) > 1 and f[0] in names and f[1].startswith("!")]


def _check_accounts() -> None:
    missing = []
    for name in BASETEN_ACCOUNTS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            missing.append(name)
    if missing:
        raise BadInput(
            "run as root, the sandbox logs in the accounts Baseten's hosts use, and these do not "
            "exist: " + ", ".join(missing),
            hint=" && ".join(f"useradd --create-home --shell /bin/bash -p '*' {n}" for n in missing)
            + " (or run the sandbox as an ordinary user: it then logs in that user)",
        )
    locked = _locked_accounts(BASETEN_ACCOUNTS)
    if locked:
        raise BadInput(
            f"the accounts {', '.join(locked)} are locked (password field `!` in {SHADOW_FILE}), "
            "and the sandbox's sshd, which runs without PAM, refuses locked accounts",
            hint=" && ".join(f"usermod -p '*' {n}" for n in locked)
            + " (`*`: no password login, but not locked)",
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _quoted(path: Path) -> str:
    return '"' + str(path) + '"'


@dataclass
class SshServer:
    directory: Path  # private to this server: host key, config, principals, log
    ca_public_key_file: Path
    port: int = 0
    host_public_key: str = ""
    principals_dir: Path | None = None
    _process: subprocess.Popen[bytes] | None = None
    _own_principals_dir: bool = False

    @property
    def config_file(self) -> Path:
        return self.directory / "sshd_config"

    @property
    def log_file(self) -> Path:
        return self.directory / "sshd.log"

    def log_text(self) -> str:
        """sshd's own log (`-e`, LogLevel VERBOSE): accepted certificates, refusals."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        sshd = find_sshd()
        if running_as_root():
            _check_accounts()
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        host_key = self._write_host_key()
        principals_dir = self._write_principals()
        extra_lines = [] if sshd in _rejects_penalties_line else [PENALTIES_LINE]
        failure = ""
        for _ in range(START_ATTEMPTS):
            self.port = _free_port()
            self._write_config(host_key, principals_dir, extra_lines)
            outcome = self._launch(sshd)
            if outcome is None:
                return
            failure = outcome
            if PENALTIES_LINE.split()[0] in failure and extra_lines:
                _rejects_penalties_line.add(sshd)
                extra_lines = []
            elif "Address already in use" not in failure:
                break
        raise BadInput(
            f"the sandbox's sshd did not start: {_last_line(failure)}",
            hint=f"its full log is {self.log_file}; its config {self.config_file}",
        )

    def stop(self) -> None:
        """End sshd and every connection process it forked (one process group)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._own_principals_dir and self.principals_dir is not None:
            shutil.rmtree(self.principals_dir, ignore_errors=True)
            self._own_principals_dir = False

    def _write_host_key(self) -> Path:
        key = ed25519.Ed25519PrivateKey.generate()
        path = self.directory / "ssh_host_ed25519_key"
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        write_atomic(path, private, new_file_mode=0o600)
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        self.host_public_key = public.decode()
        write_atomic(path.with_suffix(".pub"), public + b"\n", new_file_mode=0o644)
        return path

    def _write_principals(self) -> Path:
        """Each account accepts certificates naming it (AuthorizedPrincipalsFile %u); the
        local user of an unprivileged sandbox also accepts `baseten` and `app`.

        sshd reads these files as the user logging in, so as root they go to a directory
        of their own that every account can reach (the sandbox's may sit in a 0700 tree).
        """
        if running_as_root():
            directory = Path(tempfile.mkdtemp(prefix="sshsetup-sandbox-principals-"))
            directory.chmod(0o755)
            self._own_principals_dir = True
            accepted: dict[str, tuple[str, ...]] = {user: (user,) for user in BASETEN_ACCOUNTS}
        else:
            directory = self.directory / "principals"
            directory.mkdir(mode=0o700, exist_ok=True)
            accepted = {local_user(): (local_user(), *BASETEN_ACCOUNTS)}
        for user, principals in accepted.items():
            text = "".join(f"{principal}\n" for principal in principals)
            write_atomic(directory / user, text.encode(), new_file_mode=0o644)
        self.principals_dir = directory
        return directory

    def _write_config(self, host_key: Path, principals_dir: Path, extra_lines: list[str]) -> None:
        lines = [
            f"ListenAddress 127.0.0.1:{self.port}",
            f"HostKey {_quoted(host_key)}",
            "PidFile none",
            f"TrustedUserCAKeys {_quoted(self.ca_public_key_file)}",
            f"AuthorizedPrincipalsFile {_quoted(principals_dir / '%u')}",
            "AuthorizedKeysFile none",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "HostbasedAuthentication no",
            "PermitRootLogin no",
            "UsePAM no",
            "StrictModes no",
            "AllowAgentForwarding yes",
            "AllowTcpForwarding yes",
            "X11Forwarding no",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            f"MaxStartups {MAX_STARTUPS}",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
            # $SSH_USER_AUTH names the certificate a session logged in with: its key id shows
            # which deployment an environment host reached.
            "ExposeAuthInfo yes",
            *extra_lines,
        ]
        write_atomic(self.config_file, ("\n".join(lines) + "\n").encode(), new_file_mode=0o600)

    def _launch(self, sshd: str) -> str | None:
        """Start sshd; None once it listens, else its log explaining why it stopped."""
        with open(self.log_file, "wb") as log:
            process = subprocess.Popen(
                [sshd, "-D", "-e", "-f", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group, so stop() ends its children too
            )
        ready_line = f"Server listening on 127.0.0.1 port {self.port}"
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if ready_line in self.log_text():
                self._process = process
                return None
            if process.poll() is not None:
                return self.log_text() or f"sshd exited with status {process.returncode}"
            time.sleep(0.01)
        process.kill()
        process.wait()
        return self.log_text() + "\n(sshd did not start listening within 10 seconds)"


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "no output"
