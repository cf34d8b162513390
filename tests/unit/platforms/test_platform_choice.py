"""Choosing the platform (sshsetup.platforms) and recognising agents by their socket path
(sshsetup.platforms.base)."""

from __future__ import annotations

import pytest
from helpers.recordings import RecordedRunner

from sshsetup.platforms import platform_for
from sshsetup.platforms.base import agent_kind
from sshsetup.platforms.linux import LinuxPlatform
from sshsetup.platforms.macos import MacOSPlatform
from sshsetup.platforms.windows import WindowsPlatform


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("Linux", LinuxPlatform),
        ("Darwin", MacOSPlatform),
        ("Windows", WindowsPlatform),
        ("FreeBSD", LinuxPlatform),
    ],
)
def test_platform_is_chosen_from_the_system_name(system: str, expected: type) -> None:
    assert type(platform_for(system, RecordedRunner({}), {})) is expected


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("/run/user/1000/gnupg/S.gpg-agent.ssh", "gpg-agent"),
        ("/run/user/1000/keyring/ssh", "gnome-keyring"),
        ("/home/me/.1password/agent.sock", "1password"),
        ("/Users/me/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock", "1password"),
        ("/run/user/1000/openssh_agent", "openssh (systemd user socket)"),
        ("/tmp/ssh-XXXXXXabcd/agent.4242", "openssh"),
        ("\\\\.\\pipe\\openssh-ssh-agent", "win32-openssh service"),
        ("/somewhere/else.sock", "unknown"),
    ],
)
def test_agents_are_recognised_by_their_socket_path(address: str, kind: str) -> None:
    assert agent_kind(address) == kind
