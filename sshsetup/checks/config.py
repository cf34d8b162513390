"""Checks of the OpenSSH client, of which ssh config it reads, and of whether it accepts it
(``ssh -G``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.errors import SshsetupError
from sshsetup.openssh import OpenSSH
from sshsetup.paths import FROM_ENV, FROM_OPTION, Paths
from sshsetup.process import CommandResult
from sshsetup.sshconfig.lines import ConfigLine, decode, split_lines
from sshsetup.sshconfig.origin import files_read
from sshsetup.sshconfig.placement import first_ignore_unknown
from sshsetup.sshconfig.splice import locate_block

_SSH_ERROR_AT_LINE = re.compile(r"^(?P<file>.+?):? line (?P<line>\d+): (?P<message>.+)$")
_CANNOT_OPEN = "Can't open user config file"
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


def config_target_check(paths: Paths, host: str) -> CheckResult:
    """The file ssh reads (the passwd entry's home, ``-F``, an ``Include``) against the file
    sshsetup manages (docs/ssh-config.md#the-home-ssh-reads-its-config-from). ``--config``
    and SSHSETUP_SSH_CONFIG say that ssh is run with ``-F`` that file; otherwise what counts
    is what a plain ``ssh HOST`` reads."""
    managed, reads = paths.ssh_config, paths.ssh_reads
    details = {
        "managed": str(managed),
        "origin": paths.ssh_config_origin,
        "ssh_reads": str(reads),
        "home": str(paths.home),
        "passwd_home": str(paths.ssh_home),
    }
    where = (
        ""
        if paths.home == paths.ssh_home
        else f" (your passwd entry's home; $HOME is {paths.home})"
    )
    if managed == reads:
        stray = paths.home / ".ssh" / "config"
        if stray != reads and _has_block(stray) and not _has_block(reads):
            return CheckResult(
                CheckId.CONFIG_TARGET,
                Status.FAIL,
                f"the sshsetup block is in {stray}, which ssh does not read: ssh reads {reads}"
                f"{where}, which has no block",
                f"sshsetup setup  (writes the block into {reads}); then, to tidy up: "
                f"sshsetup remove --config {stray}",
                details,
            )
        return CheckResult(
            CheckId.CONFIG_TARGET,
            Status.PASS,
            f"ssh reads {reads}{where}, the file sshsetup manages",
            details=details,
        )
    included = _reaches(reads, managed, host, paths.ssh_home)
    if included:
        return CheckResult(
            CheckId.CONFIG_TARGET,
            Status.PASS,
            f"ssh reads {reads}{where}, which includes {managed}, the file sshsetup manages",
            details=details,
        )
    if paths.ssh_config_origin in (FROM_OPTION, FROM_ENV):
        given = "--config" if paths.ssh_config_origin == FROM_OPTION else FROM_ENV
        return CheckResult(
            CheckId.CONFIG_TARGET,
            Status.PASS,
            f"checked as `ssh -F {managed}` reads it ({given}); a plain `ssh` reads {reads}"
            f"{where}, which does not include it",
            details=details,
        )
    return CheckResult(
        CheckId.CONFIG_TARGET,
        Status.FAIL,
        f"sshsetup manages {managed} (remembered from `sshsetup setup --config`), but a plain "
        f"`ssh {host}` reads {reads}{where}, which does not include it: ssh does not see the "
        "block",
        f"sshsetup setup --config {reads}  (puts the block in the file ssh reads)\n"
        f"or add `Include {managed}` as the first line of {reads}\n"
        f"or always run `ssh -F {managed}` (and `sshsetup doctor --config {managed}`)",
        details,
    )


def _reaches(reads: Path, managed: Path, host: str, home: Path) -> bool:
    """``reads`` is ``managed``, or pulls it in through an Include for ``host``."""
    target = os.path.realpath(managed)
    return any(os.path.realpath(path) == target for path in files_read(host, reads, home))


def _has_block(path: Path) -> bool:
    try:
        text = decode(path.read_bytes())
    except OSError:
        return False
    try:
        return locate_block(split_lines(text), str(path)) is not None
    except SshsetupError:  # broken markers: still sshsetup's block
        return True


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


def config_accepted_check(result: CommandResult, host: str, config: Path) -> CheckResult:
    if result.ok:
        seen = f"ssh -G {host} accepts {config}"
        return CheckResult(CheckId.CONFIG_ACCEPTED, Status.PASS, seen)
    complaint = ssh_complaint(result)
    message = complaint.message
    details: dict[str, Any] = {"ssh_error": message, "file": None, "line": None}
    if complaint.file is not None:
        details.update(file=str(complaint.file), line=complaint.line)
    if message.startswith(_CANNOT_OPEN) and not config.exists():
        message = f"ssh -F {config}: the file does not exist"
        fix = f"sshsetup setup  (creates {config} with the block)"
    elif message.startswith("Bad owner or permissions") and complaint.file is not None:
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
