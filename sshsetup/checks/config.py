"""Checks of the OpenSSH client and of whether it accepts the ssh config (``ssh -G``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.openssh import OpenSSH
from sshsetup.process import CommandResult
from sshsetup.sshconfig.lines import ConfigLine, decode, split_lines
from sshsetup.sshconfig.placement import first_ignore_unknown

_SSH_ERROR_AT_LINE = re.compile(r"^(?P<file>.+?):? line (?P<line>\d+): (?P<message>.+)$")
_BAD_PERMISSIONS = re.compile(r"^Bad owner or permissions on (?P<file>.+)$")


def openssh_check(openssh: OpenSSH | None, version: str) -> CheckResult:
    if openssh is None:
        return CheckResult(
            CheckId.OPENSSH_CLIENT,
            Status.FAIL,
            "no ssh on PATH",
            "install the OpenSSH client (Debian/Ubuntu: sudo apt-get install openssh-client; "
            "Windows: Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0)",
        )
    return CheckResult(
        CheckId.OPENSSH_CLIENT,
        Status.PASS,
        f"{openssh.executable}: {version or 'version unknown'}",
        details={"executable": openssh.executable, "version": version},
    )


@dataclass(frozen=True)
class SshComplaint:
    """The first line ssh printed when it rejected the config, and where it points."""

    message: str
    file: Path | None
    line: int | None


def ssh_complaint(result: CommandResult) -> SshComplaint:
    text = result.first_error
    at_line = _SSH_ERROR_AT_LINE.match(text)
    if at_line:
        return SshComplaint(text, Path(at_line["file"]), int(at_line["line"]))
    permissions = _BAD_PERMISSIONS.match(text)
    if permissions:
        return SshComplaint(text, Path(permissions["file"]), None)
    return SshComplaint(text, None, None)


def config_accepted_check(
    result: CommandResult, host: str, config: Path, note: str | None = None
) -> CheckResult:
    """``note``: what to know about which file this is (sshsetup.paths.config_note)."""
    if result.ok:
        seen = f"ssh -G {host} accepts {config}" + (f"\nnote: {note}" if note else "")
        return CheckResult(CheckId.CONFIG_ACCEPTED, Status.PASS, seen, details={"note": note})
    complaint = ssh_complaint(result)
    message = complaint.message
    details: dict[str, Any] = {"ssh_error": message, "file": None, "line": None, "note": note}
    if complaint.file is not None:
        details.update(file=str(complaint.file), line=complaint.line)
    if message.startswith("Bad owner or permissions") and complaint.file is not None:
        fix = f"chmod go-w {complaint.file}  (and it must be owned by you or root)"
    elif "\\357\\273\\277" in message:
        fix = f"sshsetup setup --strip-bom  (removes the UTF-8 byte-order mark from {config})"
    elif complaint.line is not None:
        fix = (
            f"edit {complaint.file} line {complaint.line}: {_line_advice(message)}\n"
            "one bad line stops ssh for every host, not only Baseten's"
        )
    else:
        fix = f"run `ssh -G {host}` and correct what it names"
    return CheckResult(
        CheckId.CONFIG_ACCEPTED,
        Status.FAIL,
        f"ssh rejects the config: {message}",
        fix,
        details,
    )


def _line_advice(message: str) -> str:
    option = re.search(r"Bad configuration option: (\S+)", message)
    if option:
        return (
            f"remove or correct `{option.group(1)}` (if another ssh build needs it, put "
            f"`IgnoreUnknown {option.group(1)}` at the top of the file)"
        )
    return "correct the line ssh names"


def use_keychain_check(
    result: CommandResult,
    understands: bool,
    version: str,
    read_lines: Callable[[Path], list[ConfigLine]],
) -> CheckResult:
    """UseKeychain is Apple's; every other build stops at it unless IgnoreUnknown covers it."""
    complaint = ssh_complaint(result)
    rejected = not result.ok and "usekeychain" in complaint.message.lower()
    if not rejected:
        seen = (
            "ssh is Apple's build: UseKeychain is understood"
            if understands
            else f"ssh ({version}) is not Apple's, and no UseKeychain line reaches it "
            "unguarded by IgnoreUnknown"
        )
        return CheckResult(
            CheckId.CONFIG_USE_KEYCHAIN, Status.PASS, seen, details={"apple": understands}
        )
    where = (
        f"{complaint.file} line {complaint.line}" if complaint.file is not None else "the config"
    )
    fix = "put `IgnoreUnknown UseKeychain` above every Host/Match line of the file"
    if complaint.file is not None:
        lines = read_lines(complaint.file)
        first = first_ignore_unknown(lines)
        if first is not None:
            line = lines[first]
            fix = (
                f"extend the first IgnoreUnknown line, {complaint.file} line {line.number} "
                f"(`{line.content.strip()}`), to `{line.content.strip()},UseKeychain`: "
                "only the first IgnoreUnknown counts"
            )
        else:
            fix = f"add `IgnoreUnknown UseKeychain` as the first line of {complaint.file}"
    return CheckResult(
        CheckId.CONFIG_USE_KEYCHAIN,
        Status.FAIL,
        f"UseKeychain at {where}: ssh ({version}) is not Apple's build and rejects it "
        f"({complaint.message})",
        fix + "\n(or remove the UseKeychain line: only Apple's ssh uses it)",
        {"apple": understands, "file": str(complaint.file), "line": complaint.line},
    )


def read_config_lines(path: Path) -> list[ConfigLine]:
    try:
        return list(split_lines(decode(path.read_bytes())))
    except OSError:
        return []
