"""The one interface behind which the operating systems differ (agent, permissions, tooling).

Everything a platform needs from the outside is injected: the environment and a command
runner, so the macOS and Windows branches run anywhere against recorded command outputs.
"""

from __future__ import annotations

import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sshsetup.check_result import CheckResult
from sshsetup.connect.environment import home_directory
from sshsetup.process import CommandResult


class Runner(Protocol):
    """Runs a command and never raises (``process.run_command``; tests use recordings)."""

    def __call__(self, argv: Sequence[str], timeout: float = ...) -> CommandResult: ...


@dataclass(frozen=True)
class PermissionProblem:
    path: Path
    seen: str
    fix: str


# Sockets that identify who serves the agent, whatever the OS
# (docs/agent.md#finding-the-agent-socket).
_AGENT_KINDS = (
    ("S.gpg-agent.ssh", "gpg-agent"),
    ("keyring/ssh", "gnome-keyring"),
    ("1password/agent.sock", "1password"),
    ("com.1password/t/agent.sock", "1password"),
    ("openssh_agent", "openssh (systemd user socket)"),
    ("com.apple.launchd.", "openssh (launchd)"),
    ("openssh-ssh-agent", "win32-openssh service"),
    ("/agent.", "openssh"),
)


def agent_kind(address: str) -> str:
    """Which agent a socket or pipe path belongs to, recognised by its path alone."""
    normalised = address.replace("\\", "/")
    for marker, kind in _AGENT_KINDS:
        if marker in normalised:
            return kind
    return "unknown"


def posix_private_key_problem(path: Path) -> PermissionProblem | None:
    """OpenSSH ignores a private key that group or others can access at all
    (docs/ssh-config.md#permission-checks-on-config-and-key-files)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return PermissionProblem(
            path,
            f"{path} has mode {mode:04o}: ssh ignores it (UNPROTECTED PRIVATE KEY FILE)",
            f"chmod 600 {path}",
        )
    return None


def posix_config_problem(path: Path) -> PermissionProblem | None:
    """ssh refuses a config that others may write or that someone else owns
    (docs/ssh-config.md#permission-checks-on-config-and-key-files)."""
    try:
        info = path.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid not in (os.getuid(), 0):
        return PermissionProblem(
            path,
            f"{path} is owned by uid {info.st_uid}: ssh stops with 'Bad owner or permissions'",
            f"sudo chown {os.getuid()} {path}",
        )
    if mode & 0o022:
        return PermissionProblem(
            path,
            f"{path} has mode {mode:04o}: ssh stops with 'Bad owner or permissions'",
            f"chmod go-w {path}",
        )
    return None


class Platform(ABC):
    """What differs per OS. Built by ``platforms.platform_for``; never chosen anywhere else."""

    name: str = ""

    def __init__(self, runner: Runner, env: Mapping[str, str]) -> None:
        self.runner = runner
        self.env = env

    @property
    def home(self) -> Path:
        return Path(home_directory(self.env))

    def agent_fallback(self) -> str | None:
        """The agent ssh uses when neither IdentityAgent nor SSH_AUTH_SOCK names one."""
        return None

    def unusable_agent_address(self, address: str) -> str | None:
        """Why ssh on this OS cannot use ``address`` at all (None: it can try)."""
        return None

    @abstractmethod
    def candidate_agent_sockets(self) -> list[str]:
        """Existing agent sockets worth pointing SSH_AUTH_SOCK at when none is set."""

    @abstractmethod
    def no_agent_fix(self, candidates: Sequence[str]) -> str: ...

    @abstractmethod
    def unreachable_agent_fix(self, address: str, kind: str) -> str:
        """The fix when ``address`` is missing (kind "missing"), refuses, or is not a socket."""

    @abstractmethod
    def empty_agent_fix(self, key_file: Path) -> str: ...

    @abstractmethod
    def ssh_add_argv(self, key_file: Path) -> list[str]: ...

    @abstractmethod
    def private_key_problem(self, path: Path) -> PermissionProblem | None: ...

    @abstractmethod
    def config_file_problem(self, path: Path) -> PermissionProblem | None: ...

    def system_checks(self, effective: Mapping[str, list[str]]) -> list[CheckResult]:
        """Checks only this OS has (service state, which ssh build, what git uses)."""
        return []

    def short_path(self, path: Path, needs_it: Callable[[str], bool]) -> Path:
        """``path`` with each component for which ``needs_it`` holds replaced by its short
        name, where the OS keeps one (Windows' 8.3 names); else ``path``."""
        return path

    @property
    def command_shell(self) -> Path | None:
        """The shell that runs the block's ProxyCommand guard when ssh runs none (Windows)."""
        return None

    def existing(self, candidates: Sequence[Path]) -> list[str]:
        return [str(path) for path in candidates if path.exists()]
