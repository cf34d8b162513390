"""Linux: OpenSSH's ssh-agent, gpg-agent, GNOME keyring, 1Password, a systemd user socket."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sshsetup.platforms.base import (
    PermissionProblem,
    Platform,
    posix_config_problem,
    posix_private_key_problem,
)

START_AGENT = 'eval "$(ssh-agent -s)"'


class LinuxPlatform(Platform):
    name = "linux"

    def candidate_agent_sockets(self) -> list[str]:
        runtime = self.env.get("XDG_RUNTIME_DIR")
        candidates = []
        if runtime:
            runtime_dir = Path(runtime)
            candidates += [
                runtime_dir
                / "openssh_agent",  # Debian's user unit (docs/agent.md#finding-the-agent-socket)
                runtime_dir / "ssh-agent.socket",  # the common hand-written user unit
                runtime_dir / "gnupg" / "S.gpg-agent.ssh",
                runtime_dir / "keyring" / "ssh",
            ]
        candidates += [
            self.home / ".gnupg" / "S.gpg-agent.ssh",
            self.home / ".1password" / "agent.sock",
        ]
        return self.existing(candidates)

    def no_agent_fix(self, candidates: Sequence[str]) -> str:
        if candidates:
            return f"export SSH_AUTH_SOCK={candidates[0]}  (an agent socket that already exists)"
        return f"{START_AGENT}  (or the desktop's agent: systemctl --user enable --now ssh-agent)"

    def unreachable_agent_fix(self, address: str, kind: str) -> str:
        candidates = [socket for socket in self.candidate_agent_sockets() if socket != address]
        if candidates:
            return f"export SSH_AUTH_SOCK={candidates[0]}  (an agent socket that exists)"
        if kind == "refused":
            return f"rm {address} && {START_AGENT}"
        return f"unset SSH_AUTH_SOCK && {START_AGENT}"

    def empty_agent_fix(self, key_file: Path) -> str:
        return f"ssh-add {key_file}  (or: sshsetup agent add)"

    def ssh_add_argv(self, key_file: Path) -> list[str]:
        return ["ssh-add", str(key_file)]

    def private_key_problem(self, path: Path) -> PermissionProblem | None:
        return posix_private_key_problem(path)

    def config_file_problem(self, path: Path) -> PermissionProblem | None:
        return posix_config_problem(path)
