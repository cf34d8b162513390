"""The checks of the OpenSSH client and the config (sshsetup.checks.config): what ssh's
complaints point at, and the fix each one gets."""

from __future__ import annotations

from pathlib import Path

from sshsetup.check_result import Status
from sshsetup.checks.config import config_accepted_check, ssh_complaint
from sshsetup.process import CommandResult


def test_ssh_complaints_name_the_file_and_line() -> None:
    at_line = ssh_complaint(
        CommandResult(255, "", "/h/.ssh/config: line 7: Bad configuration option: foo\n"
                      "/h/.ssh/config: terminating, 1 bad configuration options\n")
    )  # fmt: skip
    assert (at_line.file, at_line.line) == (Path("/h/.ssh/config"), 7)
    owner = ssh_complaint(CommandResult(255, "", "Bad owner or permissions on /h/.ssh/w.conf\n"))
    assert (owner.file, owner.line) == (Path("/h/.ssh/w.conf"), None)
    check = config_accepted_check(
        CommandResult(255, "", "Bad owner or permissions on /h/.ssh/w.conf\n"), "h", Path("/c")
    )
    assert check.status is Status.FAIL and check.fix is not None
    assert check.fix.startswith("chmod go-w /h/.ssh/w.conf")
    bom = config_accepted_check(
        CommandResult(255, "", "/c: line 1: Bad configuration option: \\357\\273\\277host\n"),
        "h",
        Path("/c"),
    )
    assert bom.fix is not None and "sshsetup setup --strip-bom" in bom.fix
