"""`doctor --connect`'s verdict (sshsetup.checks.remote): which link of the agent forwarding
chain broke (docs/agent.md#verifying-forwarding-on-the-remote-host,
docs/agent.md#diagnosis-ladder-for-agent-forwarding)."""

from __future__ import annotations

import pytest

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.checks.remote import REMOTE_MARKER, RemoteProbe, remote_checks


def _probe(sock: str, rc: int | None, *lines: str) -> RemoteProbe:
    out = [f"{REMOTE_MARKER}sock={sock}", *lines]
    if rc is not None:
        out.append(f"{REMOTE_MARKER}rc={rc}")
    return RemoteProbe(0 if rc is not None else 255, "\n".join(out) + "\n", "")


AGENT_OK = [
    CheckResult(CheckId.AGENT_LOCATION, Status.PASS, "ok"),
    CheckResult(CheckId.AGENT_REACHABLE, Status.PASS, "ok"),
]


SOCK = "/tmp/ssh-x/agent.1"
NO_AGENT = [CheckResult(CheckId.AGENT_LOCATION, Status.FAIL, "none", "start one")]


@pytest.mark.parametrize(
    ("probe", "local", "forward", "permits", "link"),
    [
        (_probe("", 2), NO_AGENT, True, True, "no_local_agent"),
        (_probe("", 2), AGENT_OK, False, True, "forward_agent_off"),
        (_probe("", 2), AGENT_OK, True, False, "certificate_refused"),
        (_probe("", 2), AGENT_OK, True, True, "server_refused"),
        (
            _probe(SOCK, 1, "The agent has no identities."),
            AGENT_OK,
            True,
            True,
            "local_agent_empty",
        ),
        (_probe(SOCK, 0, "256 SHA256:abc me (ED25519)"), AGENT_OK, True, True, "keys_listed"),
        (
            _probe(SOCK, 127, "sh: ssh-add: not found"),
            AGENT_OK,
            True,
            True,
            "remote_ssh_add_missing",
        ),
    ],
)
def test_each_broken_link_of_the_forwarding_chain_is_named(
    probe: RemoteProbe, local: list[CheckResult], forward: bool, permits: bool, link: str
) -> None:
    results = {r.id: r for r in remote_checks("h", probe, local, forward, permits)}
    assert results["remote.connect"].status is Status.PASS
    assert results["remote.agent_forwarding"].details["link"] == link
    expected = {"keys_listed": Status.PASS, "remote_ssh_add_missing": Status.WARN}
    assert results["remote.agent_forwarding"].status is expected.get(link, Status.FAIL)


def test_an_unreachable_host_fails_remote_connect_with_sshs_last_word() -> None:
    probe = RemoteProbe(255, "", "debug\nssh: connect to host h port 22: Connection refused\n")
    (result,) = remote_checks("h", probe, AGENT_OK, True, True)
    assert (result.id, result.status) == ("remote.connect", Status.FAIL)
    assert result.seen.endswith("ssh: connect to host h port 22: Connection refused")


def test_the_connect_paths_own_lines_come_first_and_give_the_fix() -> None:
    stderr = (
        "kex_exchange_identification: Connection closed by remote host\n"
        "sshsetup: cannot get a session for h: the API at a:1 refused the connection "
        "(hint: check the remote's API URL and BASETEN_BASE_URL; is the service up?)\n"
        "Connection closed by UNKNOWN port 65535\n"
    )
    (result,) = remote_checks("h", RemoteProbe(255, "", stderr), AGENT_OK, True, True)
    lines = result.seen.splitlines()
    assert lines[0] == "could not run a command on h:"
    assert lines[1].startswith("sshsetup: cannot get a session for h")
    assert lines[2:] == [
        "kex_exchange_identification: Connection closed by remote host",
        "Connection closed by UNKNOWN port 65535",
    ]
    assert (result.fix or "").startswith(
        "check the remote's API URL and BASETEN_BASE_URL; is the service up?\n"
    )
    assert result.details["sshsetup"] == [lines[1]]
