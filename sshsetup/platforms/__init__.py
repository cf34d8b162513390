"""Per-OS behaviour behind one interface (``base.Platform``), chosen here and only here."""

from __future__ import annotations

import platform as _platform
from collections.abc import Mapping, Sequence

from sshsetup.platforms.base import Platform, Runner
from sshsetup.process import COMMAND_TIMEOUT_SECONDS, CommandResult, run_command

__all__ = ["CommandResult", "Platform", "Runner", "current_platform", "platform_for", "run_command"]


def platform_for(system: str, runner: Runner, env: Mapping[str, str]) -> Platform:
    """``system`` as ``platform.system()`` names it: Linux, Darwin, Windows (others: Linux's)."""
    name = system.lower()
    if name in ("darwin", "macos"):
        from sshsetup.platforms.macos import MacOSPlatform

        return MacOSPlatform(runner, env)
    if name in ("windows", "win32"):
        from sshsetup.platforms.windows import WindowsPlatform

        return WindowsPlatform(runner, env)
    from sshsetup.platforms.linux import LinuxPlatform

    return LinuxPlatform(runner, env)


def current_platform(env: Mapping[str, str]) -> Platform:
    """The platform this process runs on, running real commands with ``env``."""

    def runner(argv: Sequence[str], timeout: float = COMMAND_TIMEOUT_SECONDS) -> CommandResult:
        return run_command(argv, timeout, env)

    return platform_for(_platform.system(), runner, env)
