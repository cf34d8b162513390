"""`sshsetup sandbox`: a throwaway Baseten on loopback (API, TLS proxy, real sshd) to try.

It prepares a HOME (``--home`` or a temporary one) with the managed block, then runs
until SIGINT/SIGTERM or until its standard input closes, and cleans up what it created.
With ``--json`` the first line on stdout is one JSON object, printed once everything listens.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.exit_codes import ExitCode
from sshsetup.output import say
from sshsetup.paths import Paths
from sshsetup.sandbox import Sandbox
from sshsetup.sandbox.home import EXAMPLE_HOSTS, SandboxHome, check_not_real_home, prepare_home


@dataclass(frozen=True)
class SandboxRequest:
    home: Path | None = None
    json_output: bool = False
    cert_validity_seconds: int = 3600
    api_latency_ms: int = 0


def run(request: SandboxRequest) -> int:
    if request.home is not None:
        check_not_real_home(request.home)
    scratch = Path(tempfile.mkdtemp(prefix="sshsetup-sandbox-"))
    try:
        home = request.home if request.home is not None else scratch / "home"
        with Sandbox(
            scratch / "server",
            cert_validity_seconds=request.cert_validity_seconds,
            api_latency_seconds=request.api_latency_ms / 1000,
        ) as sandbox:
            prepared = prepare_home(sandbox, home)
            _set_up_block(prepared)
            stop = _stop_event()
            _announce(sandbox, prepared, request.json_output)
            stop.wait()
            say("sandbox: stopping")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return int(ExitCode.OK)


def _set_up_block(prepared: SandboxHome) -> None:
    """`sshsetup setup` in the sandbox's HOME (its prose goes to stderr, never stdout)."""
    from sshsetup.commands import setup
    from sshsetup.openssh import find_openssh

    env = {**os.environ, **prepared.env}
    with contextlib.redirect_stdout(sys.stderr):
        setup.run(
            Paths.from_environment(env),
            setup.SetupRequest(assume_yes=True),
            ssh=find_openssh(env),
        )


def _stop_event() -> threading.Event:
    """Set by SIGINT, SIGTERM or the end of standard input."""
    stop = threading.Event()

    def on_signal(number: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def watch_stdin() -> None:
        # os.read, not sys.stdin: a daemon thread blocked inside the buffered reader holds
        # its lock, and the interpreter aborts at exit when it cannot take that lock.
        try:
            while os.read(stdin_fd, 4096):
                pass
        except OSError:
            pass
        stop.set()

    try:
        stdin_fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return stop  # no standard input at all: only a signal stops it

    threading.Thread(target=watch_stdin, daemon=True).start()
    return stop


def _announce(sandbox: Sandbox, prepared: SandboxHome, json_output: bool) -> None:
    details: dict[str, Any] = {
        "api_url": sandbox.api_url,
        "proxy_address": sandbox.proxy_address,
        "sshd_port": sandbox.sshd_port,
        "ca_public_key": sandbox.ca_public_key,
        "host_public_key": sandbox.host_public_key,
        "login_users": list(sandbox.login_users),
        "home": str(prepared.home),
        "ssh_config": str(prepared.ssh_config),
        "env_file": str(prepared.env_file),
        "example_hosts": list(EXAMPLE_HOSTS),
        "env": prepared.env,
    }
    if json_output:
        sys.stdout.write(json.dumps(details, sort_keys=True) + "\n")
        sys.stdout.flush()
        return
    users = ", ".join(sandbox.login_users)
    lines = [
        "sandbox running on loopback (Ctrl-C, or close standard input, to stop):",
        f"  signing API  {sandbox.api_url}  (API key in {prepared.env_file})",
        f"  TLS proxy    {sandbox.proxy_address}  (its CA: {sandbox.ssl_cert_file})",
        f"  sshd         127.0.0.1:{sandbox.sshd_port}  (logs in: {users})",
        f"  HOME         {prepared.home}",
        "try it from another shell:",
        *(f"  {prepared.try_command(host)}" for host in EXAMPLE_HOSTS),
    ]
    print("\n".join(lines), flush=True)
