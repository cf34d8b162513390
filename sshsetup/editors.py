"""VS Code and Cursor as `sshsetup code` drives them: their command-line launcher, the
Remote-SSH extension each needs, and the fixes when one is missing
(docs/editors.md#remote-ssh-in-vs-code-and-cursor).

Both editors' Remote-SSH runs the system ssh with the user's ssh config, so a host the block
serves opens in the editor with the block's certificate, proxy and agent forwarding.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass

from sshsetup.errors import ChecksFailed
from sshsetup.process import run_command

LIST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Editor:
    name: str
    command: str  # the launcher on PATH
    remote_ssh: tuple[str, ...]  # the Remote-SSH extension ids it may have, preferred first
    install_command: str  # how to put the launcher on PATH

    @property
    def install_extension(self) -> str:
        return f"{self.command} --install-extension {self.remote_ssh[0]}"

    def open_argv(self, executable: str, host: str, path: str) -> list[str]:
        """Open ``path`` on ``host`` in a new window through Remote-SSH."""
        return [executable, "--remote", f"ssh-remote+{host}", path]


VS_CODE = Editor(
    name="VS Code",
    command="code",
    remote_ssh=("ms-vscode-remote.remote-ssh",),
    install_command="in VS Code, run `Shell Command: Install 'code' command in PATH` from the "
    "Command Palette (macOS); the Linux packages and the Windows installer put `code` on PATH "
    "(Windows: reopen the terminal after installing)",
)
CURSOR = Editor(
    name="Cursor",
    command="cursor",
    # Cursor's own (2025 on), its earlier fork, and the open-source one it used before.
    remote_ssh=("anysphere.remote-ssh", "anysphere.open-remote-ssh", "jeanp413.open-remote-ssh"),
    install_command="in Cursor, run `Shell Command: Install 'cursor' command in PATH` from the "
    "Command Palette",
)


def find_launcher(editor: Editor, env: Mapping[str, str]) -> str:
    """The launcher's path; ChecksFailed with the fix when it is not on PATH."""
    found = shutil.which(editor.command, path=env.get("PATH"))
    if found is None:
        raise ChecksFailed(
            f"no `{editor.command}` command on PATH: {editor.name} cannot be started from here",
            hint=editor.install_command,
        )
    return found


def remote_ssh_extension(editor: Editor, executable: str, env: Mapping[str, str]) -> str | None:
    """The Remote-SSH extension the editor has installed; None when its launcher cannot list
    extensions (then nothing is known); ChecksFailed with the fix when it lists none."""
    listed = run_command([executable, "--list-extensions"], LIST_TIMEOUT_SECONDS, env)
    if not listed.ok:
        return None
    installed = {line.strip().lower() for line in listed.stdout.splitlines()}
    found = next((ext for ext in editor.remote_ssh if ext.lower() in installed), None)
    if found is None:
        raise ChecksFailed(
            f"{editor.name} has no Remote-SSH extension ({' or '.join(editor.remote_ssh)}), "
            "which it needs to open a folder over ssh",
            hint=f"{editor.install_extension}  (or install Remote - SSH from the Extensions view)",
        )
    return found
