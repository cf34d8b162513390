"""A loopback sshd standing in for github.com, for ``doctor --check-github``: the suite never
reaches the real one. It logs in ``git`` (a passwd entry of its own, bind-mounted in a private
mount namespace, as root: helpers.namespaces), takes only the keys of its authorized_keys file,
and answers as GitHub does: a greeting on stderr and exit status 1. A test ssh config points
``github.com`` at it (``ssh_config_lines``)."""

from __future__ import annotations

import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers.namespaces import as_root_prefix
from sshsetup.sandbox.sshd import find_sshd

GREETING = (
    "Hi sshsetup-tester! You've successfully authenticated, but GitHub does not provide shell "
    "access."
)
READY_SECONDS = 10.0


@dataclass(frozen=True)
class GitHubStandIn:
    port: int
    known_hosts: Path
    authorized_keys: Path

    def ssh_config_lines(self) -> str:
        """What a test ssh config says so that `ssh git@github.com` reaches this server."""
        return (
            f"Host github.com\n  HostName 127.0.0.1\n  Port {self.port}\n"
            f"  UserKnownHostsFile {self.known_hosts}\n"
        )

    def authorize(self, public_key: Path) -> None:
        with self.authorized_keys.open("a") as handle:
            handle.write(public_key.read_text())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def github_stand_in(directory: Path) -> Iterator[GitHubStandIn]:
    prefix = as_root_prefix()
    directory.mkdir(parents=True, exist_ok=True)
    host_key = directory / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    authorized = directory / "authorized_keys"
    authorized.write_text("")
    passwd = directory / "passwd"
    # `git` is root here (in this namespace only), so that sshd reads the files it needs.
    passwd.write_text(Path("/etc/passwd").read_text() + "git:x:0:0:git:/root:/bin/sh\n")
    port = _free_port()
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {authorized}\nStrictModes no\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin yes\n"
        f"AllowUsers git\nPidFile none\nForceCommand echo {shlex.quote(GREETING)} >&2; exit 1\n"
    )
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {(directory / 'host_key.pub').read_text()}")
    script = (
        f"mount --bind {shlex.quote(str(passwd))} /etc/passwd && "
        f"exec {find_sshd()} -D -e -f {shlex.quote(str(config))}"
    )
    process = subprocess.Popen(
        [*prefix, "unshare", "-m", "--propagation", "private", "sh", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(directory / "sshd.log").open("w"),
    )
    try:
        _wait_until_listening(port, process)
        yield GitHubStandIn(port, known_hosts, authorized)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the github.com stand-in's sshd exited ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the github.com stand-in's sshd did not listen in time")
