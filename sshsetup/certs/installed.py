"""The connect path's view of this installation, as commands see it before any setup ran."""

from __future__ import annotations

from sshsetup.baseten import HostName, parse_host
from sshsetup.connect.installation import Installation
from sshsetup.connect.settings import load_settings
from sshsetup.paths import Paths
from sshsetup.setup_plan import installation_for


def current_installation(paths: Paths) -> Installation:
    """From the tool's own settings (what connect.json says, or will say after setup)."""
    return installation_for(paths, load_settings(paths.settings_file))


def parse_hosts(names: tuple[str, ...] | list[str]) -> list[HostName]:
    """Every name parsed before anything is fetched: one bad name stops the command."""
    return [parse_host(name) for name in names]
