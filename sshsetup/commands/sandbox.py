"""`sshsetup sandbox`: a throwaway Baseten on loopback (API, TLS proxy, real sshd) to try.

It prepares a HOME (``--home`` or a temporary one), runs ``sshsetup setup`` there, then runs
until SIGINT/SIGTERM or until its standard input closes, and cleans up what it created.
With ``--json`` the first line on stdout is one JSON object, printed once everything listens.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sshsetup.context import Context
from sshsetup.errors import BadInput
from sshsetup.output import colour_enabled
from sshsetup.results import Outcome, Result, render
from sshsetup.sandbox import Sandbox
from sshsetup.sandbox.home import EXAMPLE_HOSTS, SandboxHome, check_not_real_home, prepare_home

SETUP_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Request:
    home: Path | None = None
    announce_json: bool = False
    cert_validity_seconds: int = 3600
    api_latency_ms: int = 0


@dataclass(frozen=True)
class SandboxReady(Result):
    """Printed once everything listens (as one JSON line with --json)."""

    one_line_json = True

    api_url: str
    proxy_address: str
    sshd_port: int
    ca_public_key: str
    host_public_key: str
    login_users: list[str]
    home: Path
    ssh_config: Path
    env_file: Path
    ssl_cert_file: Path
    example_hosts: list[str]
    try_commands: list[str]
    env: dict[str, str]

    def text(self, colour: bool) -> str:
        return "\n".join(
            [
                "sandbox running on loopback (Ctrl-C, or close standard input, to stop):",
                f"  signing API  {self.api_url}  (API key in {self.env_file})",
                f"  TLS proxy    {self.proxy_address}  (its CA: {self.ssl_cert_file})",
                f"  sshd         127.0.0.1:{self.sshd_port}  (logs in: "
                f"{', '.join(self.login_users)})",
                f"  HOME         {self.home}",
                "try it from another shell:",
                *(f"  {command}" for command in self.try_commands),
            ]
        )


@dataclass(frozen=True)
class SandboxStopped(Result):
    def text(self, colour: bool) -> str:
        return ""


def run(ctx: Context, request: Request) -> Outcome[SandboxStopped]:
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
            _set_up_block(ctx, prepared)
            stop = _stop_event()
            ready = _ready(sandbox, prepared)
            render(Outcome(ready), request.announce_json, colour_enabled(sys.stdout))
            stop.wait()
            ctx.say("sandbox: stopping")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Outcome(SandboxStopped(), rendered=True)


def _set_up_block(ctx: Context, prepared: SandboxHome) -> None:
    """`sshsetup setup --yes` in the sandbox's HOME, as a user would run it (its output goes
    to stderr: stdout carries the announcement)."""
    command = [sys.executable, "-m", "sshsetup", "setup", "--yes"]
    completed = subprocess.run(
        command,
        env={**ctx.env, **prepared.env},
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,
        stderr=subprocess.PIPE,
        text=True,
        timeout=SETUP_TIMEOUT_SECONDS,
    )
    if completed.returncode != 0:
        raise BadInput(
            f"`sshsetup setup` failed in the sandbox's home {prepared.home}: "
            + completed.stderr.strip(),
            hint="fix what it names (or choose another --home) and start the sandbox again",
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


def _ready(sandbox: Sandbox, prepared: SandboxHome) -> SandboxReady:
    return SandboxReady(
        api_url=sandbox.api_url,
        proxy_address=sandbox.proxy_address,
        sshd_port=sandbox.sshd_port,
        ca_public_key=sandbox.ca_public_key,
        host_public_key=sandbox.host_public_key,
        login_users=list(sandbox.login_users),
        home=prepared.home,
        ssh_config=prepared.ssh_config,
        env_file=prepared.env_file,
        ssl_cert_file=sandbox.ssl_cert_file,
        example_hosts=list(EXAMPLE_HOSTS),
        try_commands=[prepared.try_command(host) for host in EXAMPLE_HOSTS],
        env=prepared.env,
    )
