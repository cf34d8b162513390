"""macOS: launchd's agent socket, Apple's ssh (UseKeychain, keychain flags) or another build."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.platforms.base import (
    PermissionProblem,
    Platform,
    Runner,
    posix_config_problem,
    posix_private_key_problem,
)
from sshsetup.platforms.linux import START_AGENT

ONEPASSWORD_SOCKET = "Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock"
KEYCHAIN_CONFIG_FIX = (
    "in ~/.ssh/config under `Host *`: `IgnoreUnknown UseKeychain`, `AddKeysToAgent yes`, "
    "`UseKeychain yes`; or run `ssh-add --apple-load-keychain` at login"
)


class MacOSPlatform(Platform):
    name = "macos"

    def __init__(
        self, runner: Runner, env: Mapping[str, str], launchd_dir: Path = Path("/private/tmp")
    ) -> None:
        super().__init__(runner, env)
        self.launchd_dir = launchd_dir

    @cached_property
    def ssh_version(self) -> str:
        result = self.runner(["ssh", "-V"])
        return (result.stderr or result.stdout).strip() or "unknown"

    @cached_property
    def is_apple_ssh(self) -> bool:
        """Apple's build accepts UseKeychain; every other build rejects it
        (docs/macos.md#other-openssh-builds-reject-usekeychain)."""
        probe = ["ssh", "-G", "-F", os.devnull, "-o", "UseKeychain=no", "localhost"]
        return self.runner(probe).returncode == 0

    def candidate_agent_sockets(self) -> list[str]:
        launchd = sorted(self.launchd_dir.glob("com.apple.launchd.*/Listeners"))
        others = [self.home / ONEPASSWORD_SOCKET, self.home / ".gnupg" / "S.gpg-agent.ssh"]
        return self.existing([*launchd, *others])

    def no_agent_fix(self, candidates: Sequence[str]) -> str:
        if candidates:
            return (
                f"export SSH_AUTH_SOCK={candidates[0]}  "
                "(launchd's agent socket; cron, sudo and old tmux sessions lack it)"
            )
        return START_AGENT

    def unreachable_agent_fix(self, address: str, kind: str) -> str:
        candidates = [socket for socket in self.candidate_agent_sockets() if socket != address]
        if candidates:
            return f"export SSH_AUTH_SOCK={candidates[0]}  (the agent socket launchd owns now)"
        return f"unset SSH_AUTH_SOCK && {START_AGENT}  (or log out and in again so launchd sets it)"

    def empty_agent_fix(self, key_file: Path) -> str:
        if self.is_apple_ssh:
            return (
                f"ssh-add --apple-use-keychain {key_file}  (or: sshsetup agent add)\n"
                "after a reboot: ssh-add --apple-load-keychain; "
                f"to make it stick: {KEYCHAIN_CONFIG_FIX}"
            )
        return f"ssh-add {key_file}  (or: sshsetup agent add)"

    def ssh_add_argv(self, key_file: Path) -> list[str]:
        if self.is_apple_ssh:
            return ["ssh-add", "--apple-use-keychain", str(key_file)]
        return ["ssh-add", str(key_file)]

    def private_key_problem(self, path: Path) -> PermissionProblem | None:
        return posix_private_key_problem(path)

    def config_file_problem(self, path: Path) -> PermissionProblem | None:
        return posix_config_problem(path)

    def system_checks(self, effective: Mapping[str, list[str]]) -> list[CheckResult]:
        return [self._ssh_build_check(), self._keychain_check(effective)]

    def _ssh_build_check(self) -> CheckResult:
        details = {"version": self.ssh_version, "apple": self.is_apple_ssh}
        if self.is_apple_ssh:
            return CheckResult(
                CheckId.MACOS_SSH_BUILD,
                Status.PASS,
                f"ssh on PATH is Apple's ({self.ssh_version}): "
                "UseKeychain and ssh-add --apple-* work",
                details=details,
            )
        return CheckResult(
            CheckId.MACOS_SSH_BUILD,
            Status.WARN,
            f"ssh on PATH is not Apple's ({self.ssh_version}): it rejects UseKeychain "
            "('Bad configuration option: usekeychain') and its ssh-add has no keychain flags",
            "keep `IgnoreUnknown UseKeychain` above any UseKeychain line in ~/.ssh/config, "
            "or put /usr/bin before this build's directory in PATH to use Apple's ssh",
            details,
        )

    def _keychain_check(self, effective: Mapping[str, list[str]]) -> CheckResult:
        add_keys = (effective.get("addkeystoagent") or ["no"])[0].lower()
        details = {"addkeystoagent": add_keys}
        if add_keys not in ("no", "false"):
            return CheckResult(
                CheckId.MACOS_KEYCHAIN,
                Status.PASS,
                f"AddKeysToAgent is {add_keys}: "
                "keys return to the agent on first use after a reboot",
                details=details,
            )
        fix = (
            KEYCHAIN_CONFIG_FIX
            if self.is_apple_ssh
            else "in ~/.ssh/config under `Host *`: `AddKeysToAgent yes`"
        )
        return CheckResult(
            CheckId.MACOS_KEYCHAIN,
            Status.WARN,
            "AddKeysToAgent is no: the agent forgets its keys at every reboot or logout",
            fix,
            details,
        )
