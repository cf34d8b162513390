"""`sshsetup code TARGET [PATH] [--cursor]`: a Baseten host opened in VS Code (or Cursor)
through Remote-SSH, after the checks and the wait `sshsetup ssh` makes.

The editor's launcher is run as ``code --remote ssh-remote+<host> <path>``; Remote-SSH then
runs the system ssh with the user's config (the block: certificate, proxy, agent forwarding).
PATH defaults to the working directory of the job's interactive session on that node, when
the sessions API reports one, else ``/``. A missing launcher or Remote-SSH extension stops
it with the fix (docs/editors.md#remote-ssh-in-vs-code-and-cursor).
"""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.baseten import TRAINING
from sshsetup.context import Context
from sshsetup.editors import CURSOR, VS_CODE, find_launcher, remote_ssh_extension
from sshsetup.errors import ChecksFailed
from sshsetup.process import run_command
from sshsetup.progress import ProgressLine
from sshsetup.readiness import (
    make_ready,
    require_block,
    require_openssh,
    session_working_directory,
)
from sshsetup.results import Outcome, Result
from sshsetup.targets import Target, host_of
from sshsetup.waiting import DEFAULT_TIMEOUT_SECONDS, Waiting

LAUNCH_TIMEOUT_SECONDS = 60.0
ROOT = "/"


@dataclass(frozen=True)
class Request:
    target: Target
    path: str | None = None
    cursor: bool = False
    wait: bool = True
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class CodeResult(Result):
    editor: str  # VS Code or Cursor
    launcher: str  # the command run
    extension: str | None  # the Remote-SSH extension found (None: the launcher lists none)
    host: str
    path: str
    path_from: str  # argument, session (the job's working directory), default (/)
    argv: list[str]
    waited_seconds: float

    def text(self, colour: bool) -> str:
        where = {"session": " (the job's working directory)", "default": ""}.get(self.path_from, "")
        return f"opened {self.host}:{self.path}{where} in {self.editor}"


def run(ctx: Context, request: Request) -> Outcome[CodeResult]:
    editor = CURSOR if request.cursor else VS_CODE
    host = host_of(request.target)
    launcher = find_launcher(editor, ctx.env)
    extension = remote_ssh_extension(editor, launcher, ctx.env)
    require_openssh(ctx)
    require_block(ctx, host)
    waited = make_ready(ctx, host, Waiting(request.wait, request.timeout_seconds), ProgressLine())
    path, path_from = request.path, "argument"
    if path is None and host.kind == TRAINING:
        path, path_from = session_working_directory(ctx, host), "session"
    if path is None:
        path, path_from = ROOT, "default"
    argv = editor.open_argv(launcher, host.name, path)
    launched = run_command(argv, LAUNCH_TIMEOUT_SECONDS, ctx.env)
    if not launched.ok:
        raise ChecksFailed(
            f"`{editor.command} --remote ssh-remote+{host.name} {path}` failed: "
            f"{launched.first_error}",
            hint=f"run it yourself to see {editor.name}'s own message",
        )
    return Outcome(
        CodeResult(
            editor=editor.name,
            launcher=launcher,
            extension=extension,
            host=host.name,
            path=path,
            path_from=path_from,
            argv=argv,
            waited_seconds=round(waited, 1),
        )
    )
