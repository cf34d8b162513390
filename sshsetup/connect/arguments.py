"""The two arguments ssh gives the hook and the ProxyCommand: ``<key_dir> <host>``."""

from __future__ import annotations

from sshsetup.baseten import HostName, HostNameError, parse_host
from sshsetup.connect.installation import (
    ConnectSettings,
    ConnectSettingsError,
    load_connect_settings,
)
from sshsetup.connect.report import report


def host_and_settings(argv: list[str], script: str) -> tuple[HostName, ConnectSettings] | None:
    """The parsed host and connect.json; None after reporting why they are unusable."""
    if len(argv) != 2:
        report(
            f"usage: {script} <key_dir> <host>", hint="run `sshsetup setup` to rewrite the block"
        )
        return None
    key_dir, host_text = argv
    try:
        return parse_host(host_text), load_connect_settings(key_dir)
    except (HostNameError, ConnectSettingsError) as exc:
        report(exc.message, exc.hint)
        return None
