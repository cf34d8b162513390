"""The arguments of the hook and the ProxyCommand: ``<key_dir>`` (from the runtime's entry
script) and ``<host>`` (ssh's ``%h``)."""

from __future__ import annotations

from sshsetup.baseten import HostName, parse_host
from sshsetup.connect.installation import Installation, load_installation
from sshsetup.connect.report import report
from sshsetup.errors import SshsetupError


def host_and_installation(argv: list[str], script: str) -> tuple[HostName, Installation] | None:
    """The parsed host and connect.json; None after reporting why they are unusable."""
    if len(argv) != 2:
        report(f"usage: {script} <host>", hint="run `sshsetup setup` to rewrite the block")
        return None
    key_dir, host_text = argv
    try:
        return parse_host(host_text), load_installation(key_dir)
    except SshsetupError as exc:
        report(exc.message, exc.hint)
        return None
