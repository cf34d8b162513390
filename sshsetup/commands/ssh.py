"""`sshsetup ssh TARGET [-- SSH_ARGS...]`: from a job id (or a model deployment, an environment,
a host name) to a shell, through ssh and the block.

TARGET becomes a host name (``targets``); the block, the job and its session are made ready
(``readiness``: waiting for a job that is not up yet, retrying while an on_demand session
starts); then sshsetup hands over to ssh for good (``handover``: exec on POSIX), so the exit
status is ssh's and nothing of sshsetup sits between ssh and the terminal. ssh gets the
config the checks read (``-F FILE`` unless it is the file ssh reads by itself), ``-A`` with
--forward-agent, the host, and every argument after ``--``: ssh options (ssh reads options
after the host too) and the remote command.

There is no result and no --json: once the checks pass, the output is ssh's. A failure
before the hand-over is an error with its own exit code, as for every command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from sshsetup.context import Context
from sshsetup.openssh import config_arguments
from sshsetup.paths import Paths
from sshsetup.progress import ProgressLine
from sshsetup.readiness import (
    make_ready,
    require_block,
    require_openssh,
)
from sshsetup.targets import Target, host_of
from sshsetup.waiting import DEFAULT_TIMEOUT_SECONDS, Waiting


@dataclass(frozen=True)
class Request:
    target: Target
    forward_agent: bool = False  # -A for this one connection
    wait: bool = True
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ssh_args: tuple[str, ...] = ()  # after --: ssh options and the remote command


def ssh_argv(paths: Paths, host: str, forward_agent: bool, ssh_args: Sequence[str]) -> list[str]:
    """What ssh is run with (``argv[0]`` is its name)."""
    return [
        "ssh",
        *config_arguments(paths),
        *(["-A"] if forward_agent else []),
        host,
        *ssh_args,
    ]


def run(ctx: Context, request: Request) -> NoReturn:
    host = host_of(request.target)
    openssh = require_openssh(ctx)
    require_block(ctx, host)
    make_ready(ctx, host, Waiting(request.wait, request.timeout_seconds), ProgressLine())
    argv = ssh_argv(ctx.paths, host.name, request.forward_agent, request.ssh_args)
    ctx.hand_over(openssh.executable, argv, ctx.env)
