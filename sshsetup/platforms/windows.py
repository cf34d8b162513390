"""Windows (Win32-OpenSSH): the ssh-agent service, the named pipe, which ssh.exe, ACLs.

Facts in docs/windows.md#reading-service-state-get-service-and-scexe. sc.exe and icacls are
read by their numbers and structure, never by their (localised) words where a number exists.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sshsetup.agent.protocol import WINDOWS_AGENT_PIPE, is_windows_pipe
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.platforms.base import PermissionProblem, Platform
from sshsetup.process import CommandResult

SERVICE = "ssh-agent"
SERVICE_ABSENT = "FAILED 1060"
# MS-SCMR 2.2.47 (dwCurrentState) and 2.2.15 (dwStartType).
SERVICE_STATES = {
    1: "stopped",
    2: "start pending",
    3: "stop pending",
    4: "running",
    5: "continue pending",
    6: "pause pending",
    7: "paused",
}
START_TYPES = {0: "boot", 1: "system", 2: "automatic", 3: "manual", 4: "disabled"}
INSTALL_CLIENT = "Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0"
ENABLE_SERVICE = "Get-Service ssh-agent | Set-Service -StartupType Automatic"
START_SERVICE = "Start-Service ssh-agent"
WIN32_SSH = "C:/Windows/System32/OpenSSH/ssh.exe"
GIT_SSH_FIX = f'git config --global core.sshCommand "{WIN32_SSH}"'
# Where VS Code and Cursor keep their user settings, under %APPDATA%
# (docs/editors.md#which-ssh-remote-ssh-runs-on-windows).
EDITOR_SETTINGS = (("VS Code", "Code"), ("Cursor", "Cursor"))
REMOTE_SSH_PATH = "remote.SSH.path"
REMOTE_SSH_PATH_FIX = (
    'in VS Code (and Cursor) settings.json: "remote.SSH.path": '
    '"C:\\\\Windows\\\\System32\\\\OpenSSH\\\\ssh.exe"'
)
# The setting's value, in JSON with comments (a commented-out line does not match).
_SETTING = re.compile(
    r'(?:^|[{,])[ \t]*"remote\.SSH\.path"\s*:\s*("(?:[^"\\]|\\.)*")', re.MULTILINE
)
# Who may hold rights on a private key besides its owner (w32-sshfileperm.c).
TRUSTED_PRINCIPALS = ("nt authority\\system", "builtin\\administrators")
WRITE_RIGHTS = {"F", "M", "W", "D", "WD", "AD", "WEA", "WA", "WDAC", "WO", "GA", "GW"}


@dataclass(frozen=True)
class ServiceState:
    installed: bool
    state: str | None  # running, stopped, ...
    start_type: str | None  # automatic, manual, disabled, ...


def _number_after(label: str, text: str) -> int | None:
    match = re.search(rf"^\s*{label}\s*:\s*(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def parse_service(query: CommandResult, config: CommandResult) -> ServiceState:
    """``sc.exe query ssh-agent`` and ``sc.exe qc ssh-agent``
    (docs/windows.md#reading-service-state-get-service-and-scexe)."""
    if any(SERVICE_ABSENT in result.stdout + result.stderr for result in (query, config)):
        return ServiceState(False, None, None)
    state = _number_after("STATE", query.stdout)
    start = _number_after("START_TYPE", config.stdout)
    return ServiceState(
        True,
        SERVICE_STATES.get(state, f"state {state}") if state is not None else None,
        START_TYPES.get(start, f"start type {start}") if start is not None else None,
    )


@dataclass(frozen=True)
class AccessEntry:
    principal: str
    rights: tuple[str, ...]  # ("I", "F") for "(I)(F)"; "(RX)" gives ("RX",)

    @property
    def inherited(self) -> bool:
        return "I" in self.rights

    @property
    def can_write(self) -> bool:
        return any(right in WRITE_RIGHTS for part in self.rights for right in part.split(","))


def parse_icacls(path: Path, output: str) -> list[AccessEntry]:
    """``icacls <file>``: the path, then one ``PRINCIPAL:(flags)(rights)`` per line."""
    entries = []
    lines = output.splitlines()
    for index, line in enumerate(lines):
        text = line.strip()
        if index == 0 and text.lower().startswith(str(path).lower()):
            text = text[len(str(path)) :].strip()
        if not text or text.startswith("Successfully processed"):
            continue
        principal, separator, rights = text.rpartition(":(")
        if not separator:
            continue
        entries.append(AccessEntry(principal, tuple(re.findall(r"\(([^)]*)\)", "(" + rights))))
    return entries


def classify_ssh(executable: str, version: str) -> str:
    """win32-openssh, git-for-windows or other, from ``ssh -V`` and the path."""
    if version.startswith("OpenSSH_for_Windows"):
        return "win32-openssh"
    normalised = executable.replace("/", "\\").lower()
    if "\\git\\" in normalised:
        return "git-for-windows"
    if "\\openssh" in normalised:
        return "win32-openssh"
    return "other"


class WindowsPlatform(Platform):
    name = "windows"

    def short_path(self, path: Path, needs_it: Callable[[str], bool]) -> Path:
        """docs/windows.md#homes-with-spaces-and-83-short-names"""
        return short_path_name(path, needs_it)

    @property
    def command_shell(self) -> Path:
        # Upper case: os.environ's keys on Windows, and what copies of it hold.
        root = self.env.get("SYSTEMROOT") or self.env.get("WINDIR") or "C:\\Windows"
        return Path(root) / "System32" / "cmd.exe"

    @property
    def user(self) -> str:
        return self.env.get("USERNAME", "")

    def agent_fallback(self) -> str | None:
        # Only when SSH_AUTH_SOCK is unset (docs/windows.md#the-agent-named-pipe).
        return WINDOWS_AGENT_PIPE

    def unusable_agent_address(self, address: str) -> str | None:
        if is_windows_pipe(address):
            return None
        return (
            f"SSH_AUTH_SOCK is {address}, a Unix-style path (left by Git Bash/MSYS): Windows "
            "OpenSSH then fails with 'Error connecting to agent: No such file or directory'"
        )

    def candidate_agent_sockets(self) -> list[str]:
        return []

    @cached_property
    def service(self) -> ServiceState:
        return parse_service(
            self.runner(["sc.exe", "query", SERVICE]), self.runner(["sc.exe", "qc", SERVICE])
        )

    def service_fix(self, service: ServiceState) -> str:
        if not service.installed:
            return (
                f"in an administrator PowerShell: {INSTALL_CLIENT}\n"
                f"then: {ENABLE_SERVICE}\n{START_SERVICE}"
            )
        if service.start_type == "disabled":
            return f"in an administrator PowerShell:\n{ENABLE_SERVICE}\n{START_SERVICE}"
        return f"{START_SERVICE}\nto start it at every boot (administrator PowerShell): " + (
            ENABLE_SERVICE
        )

    def no_agent_fix(self, candidates: Sequence[str]) -> str:
        return self.service_fix(self.service)

    def unreachable_agent_fix(self, address: str, kind: str) -> str:
        if self.unusable_agent_address(address):
            return (
                "PowerShell: Remove-Item Env:SSH_AUTH_SOCK; and remove it for good: "
                '[Environment]::SetEnvironmentVariable("SSH_AUTH_SOCK", $null, "User") '
                "(and any `export SSH_AUTH_SOCK` line in ~/.bashrc)"
            )
        return self.service_fix(self.service)

    def empty_agent_fix(self, key_file: Path) -> str:
        return f"ssh-add {key_file}  (or: sshsetup agent add; keys then survive reboots)"

    def ssh_add_argv(self, key_file: Path) -> list[str]:
        return ["ssh-add", str(key_file)]

    def _acl(self, path: Path) -> list[AccessEntry] | None:
        result = self.runner(["icacls", str(path)])
        return parse_icacls(path, result.stdout) if result.returncode == 0 else None

    def _is_trusted(self, principal: str) -> bool:
        name = principal.lower()
        user = self.user.lower()
        return name in TRUSTED_PRINCIPALS or (bool(user) and name.rpartition("\\")[2] == user)

    def _acl_fix(self, path: Path, offenders: Sequence[AccessEntry]) -> str:
        fix = f'icacls "{path}" /inheritance:r /grant:r "%USERNAME%:F"'
        explicit = [entry.principal for entry in offenders if not entry.inherited]
        fix += "".join(f'\nicacls "{path}" /remove "{principal}"' for principal in explicit)
        return fix + '\n(cmd.exe syntax; in PowerShell write "$($env:USERNAME):F")'

    def private_key_problem(self, path: Path) -> PermissionProblem | None:
        entries = self._acl(path)
        if entries is None:
            return None
        offenders = [entry for entry in entries if not self._is_trusted(entry.principal)]
        if not offenders:
            return None
        names = ", ".join(
            f"{entry.principal}:{''.join(f'({r})' for r in entry.rights)}" for entry in offenders
        )
        return PermissionProblem(
            path,
            f"{path} is accessible to {names}: ssh ignores it (UNPROTECTED PRIVATE KEY FILE)",
            self._acl_fix(path, offenders),
        )

    def config_file_problem(self, path: Path) -> PermissionProblem | None:
        entries = self._acl(path)
        if entries is None:
            return None
        offenders = [e for e in entries if e.can_write and not self._is_trusted(e.principal)]
        if not offenders:
            return None
        names = ", ".join(entry.principal for entry in offenders)
        return PermissionProblem(
            path,
            f"{names} may write {path}: ssh stops with 'Bad owner or permissions'",
            self._acl_fix(path, offenders),
        )

    def system_checks(self, effective: Mapping[str, list[str]]) -> list[CheckResult]:
        return [
            self.service_check(),
            self.ssh_on_path_check(),
            self.git_ssh_check(),
            self.editor_ssh_check(),
        ]

    @cached_property
    def ssh_on_path(self) -> list[str]:
        """Every ssh.exe on PATH, in the order PATH gives them (``where ssh``)."""
        found = self.runner(["where", "ssh"])
        if found.returncode != 0:
            return []
        return [line.strip() for line in found.stdout.splitlines() if line.strip()]

    def service_check(self) -> CheckResult:
        service = self.service
        details = {
            "installed": service.installed,
            "state": service.state,
            "start_type": service.start_type,
        }
        if service.installed and service.state == "running":
            return CheckResult(
                CheckId.WINDOWS_AGENT_SERVICE,
                Status.PASS,
                f"the ssh-agent service is running (start type {service.start_type})",
                details=details,
            )
        seen = (
            "the ssh-agent service is not installed (sc.exe: FAILED 1060)"
            if not service.installed
            else f"the ssh-agent service is {service.state} (start type {service.start_type})"
        )
        return CheckResult(
            CheckId.WINDOWS_AGENT_SERVICE, Status.FAIL, seen, self.service_fix(service), details
        )

    def ssh_on_path_check(self) -> CheckResult:
        executables = self.ssh_on_path
        if not executables:
            return CheckResult(
                CheckId.WINDOWS_SSH_ON_PATH,
                Status.FAIL,
                "no ssh.exe on PATH",
                f"in an administrator PowerShell: {INSTALL_CLIENT}",
            )
        first = executables[0]
        version_result = self.runner([first, "-V"])
        version = (version_result.stderr or version_result.stdout).strip()
        build = classify_ssh(first, version)
        details = {"executables": executables, "first": first, "version": version, "build": build}
        if build == "win32-openssh":
            return CheckResult(
                CheckId.WINDOWS_SSH_ON_PATH,
                Status.PASS,
                f"ssh on PATH is Windows OpenSSH: {first} ({version})",
                details=details,
            )
        return CheckResult(
            CheckId.WINDOWS_SSH_ON_PATH,
            Status.WARN,
            f"ssh first on PATH is {first} ({version or 'version unknown'}), which cannot reach "
            "the Windows agent's pipe",
            "put C:\\Windows\\System32\\OpenSSH before that directory in PATH "
            "(System Properties > Environment Variables), then open a new terminal",
            details,
        )

    def git_ssh_check(self) -> CheckResult:
        configured, source = self.env.get("GIT_SSH_COMMAND"), "GIT_SSH_COMMAND"
        if not configured:
            configured, source = self.env.get("GIT_SSH"), "GIT_SSH"
        if not configured:
            result = self.runner(["git", "config", "--get", "core.sshCommand"])
            if result.returncode not in (0, 1):
                return CheckResult(CheckId.WINDOWS_GIT_SSH, Status.PASS, "git is not installed")
            configured, source = result.stdout.strip(), "core.sshCommand"
        details = {"source": source if configured else None, "command": configured or None}
        if not configured:
            return CheckResult(
                CheckId.WINDOWS_GIT_SSH,
                Status.WARN,
                "git has no core.sshCommand or GIT_SSH_COMMAND: Git for Windows then uses its own "
                "ssh.exe, which never talks to the Windows agent",
                GIT_SSH_FIX,
                details,
            )
        if classify_ssh(configured, "") == "git-for-windows":
            return CheckResult(
                CheckId.WINDOWS_GIT_SSH,
                Status.FAIL,
                f"git uses {configured} ({source}), Git's own ssh, "
                "which never talks to the Windows agent",
                GIT_SSH_FIX,
                details,
            )
        return CheckResult(
            CheckId.WINDOWS_GIT_SSH,
            Status.PASS,
            f"git uses {configured} ({source})",
            details=details,
        )

    def editor_ssh_check(self) -> CheckResult:
        """Which ssh VS Code's (and Cursor's) Remote-SSH runs: ``remote.SSH.path``, else the
        first ssh.exe on PATH, else Windows' own, else Git's
        (docs/editors.md#which-ssh-remote-ssh-runs-on-windows)."""
        appdata = self.env.get("APPDATA", "")
        editors = [
            (name, Path(appdata) / directory / "User" / "settings.json")
            for name, directory in EDITOR_SETTINGS
            if appdata and (Path(appdata) / directory).is_dir()
        ]
        if not editors:
            return CheckResult(
                CheckId.WINDOWS_EDITOR_SSH,
                Status.PASS,
                "no VS Code or Cursor user settings (%APPDATA%\\Code, %APPDATA%\\Cursor): "
                "nothing to check",
            )
        configured = {name: _remote_ssh_path(settings) for name, settings in editors}
        default = self.remote_ssh_default()
        lines, statuses = [], []
        for name, path in configured.items():
            if path is None:
                lines.append(
                    f"{name}'s Remote-SSH runs {default or 'no ssh (none found)'} (no "
                    f"{REMOTE_SSH_PATH}: the first ssh.exe on PATH, else Windows', else Git's)"
                )
                git = default is None or classify_ssh(default, "") == "git-for-windows"
                statuses.append(Status.WARN if git else Status.PASS)
            else:
                lines.append(f"{name}'s Remote-SSH runs {path} ({REMOTE_SSH_PATH})")
                git = classify_ssh(path, "") == "git-for-windows"
                statuses.append(Status.FAIL if git else Status.PASS)
        status = next((st for st in (Status.FAIL, Status.WARN) if st in statuses), Status.PASS)
        details = {"remote_ssh_path": configured, "found_without_setting": default}
        if status is Status.PASS:
            return CheckResult(
                CheckId.WINDOWS_EDITOR_SSH, status, "\n".join(lines), details=details
            )
        if default is None and None in configured.values():
            fix = f"in an administrator PowerShell: {INSTALL_CLIENT}"
        else:
            lines.append(
                "Git's ssh cannot reach the Windows agent, and runs the block's commands "
                "through its own shell instead of cmd.exe, for which the block is written"
            )
            fix = REMOTE_SSH_PATH_FIX
        return CheckResult(CheckId.WINDOWS_EDITOR_SSH, status, "\n".join(lines), fix, details)

    def remote_ssh_default(self) -> str | None:
        """The ssh.exe Remote-SSH finds without ``remote.SSH.path``."""
        if self.ssh_on_path:
            return self.ssh_on_path[0]
        fallbacks = [
            Path(self.env.get("WINDIR", "C:\\Windows")) / "System32" / "OpenSSH" / "ssh.exe",
            *(
                Path(self.env[variable]) / "Git" / "usr" / "bin" / "ssh.exe"
                for variable in ("ProgramFiles", "ProgramFiles(x86)")
                if self.env.get(variable)
            ),
        ]
        return next((str(path) for path in fallbacks if path.is_file()), None)


def _remote_ssh_path(settings: Path) -> str | None:
    """``remote.SSH.path`` in an editor's settings.json (JSON with comments): None if unset."""
    try:
        text = settings.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    match = _SETTING.search(text)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) and value.strip() else None


def short_path_name(path: Path, needs_it: Callable[[str], bool]) -> Path:
    """``path`` with each existing component for which ``needs_it`` holds replaced by its
    8.3 short name (GetShortPathNameW), the others kept as they are, so that the result is the
    same before and after setup creates the rest; a component without a short name (the
    volume keeps none, or it does not exist yet) is kept too."""
    parts = path.parts
    result = Path(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        short = _get_short_path_name(str(Path(*parts[: index + 1]))) if needs_it(part) else None
        result /= Path(short).name if short else part
    return result


if sys.platform == "win32":  # exercised on the Windows CI runner
    import ctypes
    from ctypes import wintypes

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _kernel32.GetShortPathNameW.argtypes = [wintypes.LPCWSTR, wintypes.LPWSTR, wintypes.DWORD]
    _kernel32.GetShortPathNameW.restype = wintypes.DWORD

    def _get_short_path_name(path: str) -> str | None:
        size = _kernel32.GetShortPathNameW(path, None, 0)
        if size == 0:
            return None
        buffer = ctypes.create_unicode_buffer(size)
        if _kernel32.GetShortPathNameW(path, buffer, size) == 0:
            return None
        return buffer.value

else:

    def _get_short_path_name(path: str) -> str | None:
        return None
