"""Per-OS behaviour behind one interface (``base.Platform``), chosen here and only here."""

from __future__ import annotations

import os
import platform as _platform
from collections.abc import Mapping

from sshsetup.platforms.base import Platform, Runner
from sshsetup.process import CommandResult, run_command

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


def current_platform(env: Mapping[str, str] | None = None) -> Platform:
    return platform_for(_platform.system(), run_command, os.environ if env is None else env)
