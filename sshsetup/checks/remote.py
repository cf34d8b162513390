"""``doctor HOST --connect``: the proxy takes the cached session (``proxy.accepts``, without
SSH and without signing), then a real connection as the user's own ssh makes it
(``remote.connect``: when it fails, the connect path's own lines, then ssh's, and the fix they
give), and which link of agent forwarding broke (``remote.agent_forwarding``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.report import HINT_OPEN, PREFIX

REMOTE_MARKER = "sshsetup-doctor:"
REMOTE_COMMAND = (
    f'echo "{REMOTE_MARKER}sock=$SSH_AUTH_SOCK"; ssh-add -l 2>&1; echo "{REMOTE_MARKER}rc=$?"'
)


@dataclass(frozen=True)
class RemoteProbe:
    """What ``ssh HOST REMOTE_COMMAND`` reported."""

    ssh_returncode: int
    stdout: str
    stderr: str

    def _value(self, name: str) -> str | None:
        prefix = f"{REMOTE_MARKER}{name}="
        for line in self.stdout.splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        return None

    @property
    def reached(self) -> bool:
        return self._value("rc") is not None

    @property
    def socket(self) -> str:
        return self._value("sock") or ""

    @property
    def ssh_add_rc(self) -> int | None:
        value = self._value("rc")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def ssh_add_lines(self) -> list[str]:
        return [
            line
            for line in self.stdout.splitlines()
            if line.strip() and not line.startswith(REMOTE_MARKER)
        ]


def _by_id(results: Sequence[CheckResult]) -> dict[CheckId, CheckResult]:
    return {result.id: result for result in results}


def remote_checks(
    host: str,
    probe: RemoteProbe,
    local: Sequence[CheckResult],
    forward_agent: bool,
    certificate_permits: bool | None,
) -> list[CheckResult]:
    """Which link of local agent -> ForwardAgent -> certificate/server -> remote agent broke."""
    if not probe.reached:
        return [_connect_failed(host, probe)]
    results = [CheckResult(CheckId.REMOTE_CONNECT, Status.PASS, f"ran a command on {host}")]
    results.append(_forwarding_link(host, probe, _by_id(local), forward_agent, certificate_permits))
    return results


def _connect_failed(host: str, probe: RemoteProbe) -> CheckResult:
    """The connect path's own lines (``sshsetup: … (hint: …)``) first, then ssh's; the fix is
    the first hint the connect path gave, else ssh's own account."""
    lines = [line.strip() for line in probe.stderr.splitlines() if line.strip()]
    ours = [line for line in lines if line.startswith(PREFIX)]
    theirs = [line for line in lines if not line.startswith(PREFIX)]
    said = ours + theirs[-2:] or [f"ssh exited with status {probe.ssh_returncode}"]
    hints = [hint for hint in (_hint(line) for line in ours) if hint]
    verbose = f"ssh -v {host} true  (ssh's own account, step by step)"
    return CheckResult(
        CheckId.REMOTE_CONNECT,
        Status.FAIL,
        f"could not run a command on {host}:\n" + "\n".join(said),
        f"{hints[0]}\nthen, if it still fails: {verbose}" if hints else verbose,
        {
            "ssh_returncode": probe.ssh_returncode,
            "sshsetup": ours,
            "ssh": theirs[-5:],
            "stderr": probe.stderr[-2000:],
        },
    )


def _hint(line: str) -> str | None:
    """The fix a connect path line gives: ``sshsetup: <what> (hint: <fix>)``."""
    _, found, hint = line.rpartition(HINT_OPEN)
    if not found:
        return None
    return hint.removesuffix(")").strip() or None


def _forwarding_link(
    host: str,
    probe: RemoteProbe,
    local: Mapping[CheckId, CheckResult],
    forward_agent: bool,
    certificate_permits: bool | None,
) -> CheckResult:
    details: dict[str, Any] = {
        "remote_ssh_auth_sock": probe.socket or None,
        "remote_ssh_add_rc": probe.ssh_add_rc,
        "remote_ssh_add": probe.ssh_add_lines,
    }

    def result(status: Status, link: str, seen: str, fix: str | None = None) -> CheckResult:
        return CheckResult(
            CheckId.REMOTE_AGENT_FORWARDING, status, seen, fix, {**details, "link": link}
        )

    if not probe.socket:
        for agent_id in (CheckId.AGENT_LOCATION, CheckId.AGENT_REACHABLE):
            agent = local.get(agent_id)
            if agent is not None and agent.status is Status.FAIL:
                return result(
                    Status.FAIL,
                    "no_local_agent",
                    f"SSH_AUTH_SOCK is empty on {host}: ssh has no local agent to forward "
                    f"({agent.seen}), so it drops forwarding without a word",
                    agent.fix,
                )
        if not forward_agent:
            return result(
                Status.FAIL,
                "forward_agent_off",
                f"SSH_AUTH_SOCK is empty on {host}: ForwardAgent is off for it",
                f"sshsetup setup --forward-agent  (or, for one connection: ssh -A {host})",
            )
        if certificate_permits is False:
            return result(
                Status.FAIL,
                "certificate_refused",
                f"SSH_AUTH_SOCK is empty on {host}: the certificate lacks "
                "permit-agent-forwarding, so the server refused to forward the agent",
                f"sshsetup cert fetch {host}; if it still lacks permit-agent-forwarding, ask "
                "Baseten support",
            )
        return result(
            Status.FAIL,
            "server_refused",
            f"SSH_AUTH_SOCK is empty on {host}: the server refused agent forwarding "
            "(AllowAgentForwarding no, or it cannot create the socket)",
            f"ssh -v {host} true 2>&1 | grep -i agent  (shows the server's reason); "
            "report it to Baseten support",
        )
    rc = probe.ssh_add_rc
    if rc == 0:
        keys = probe.ssh_add_lines
        return result(
            Status.PASS,
            "keys_listed",
            f"the agent is forwarded to {host} ({probe.socket}) and lists "
            f"{len(keys)} key(s):\n  " + "\n  ".join(keys),
        )
    if rc == 1:
        empty = local.get(CheckId.AGENT_IDENTITIES)
        return result(
            Status.FAIL,
            "local_agent_empty",
            f"the agent is forwarded to {host} ({probe.socket}) but holds no keys",
            empty.fix if empty is not None and empty.fix else "ssh-add  (or: sshsetup agent add)",
        )
    if rc == 127:
        return result(
            Status.WARN,
            "remote_ssh_add_missing",
            f"the agent is forwarded to {host} ({probe.socket}), but ssh-add is not installed "
            "there to list its keys",
            f"install openssh-client on {host} to check the keys; git can already use them",
        )
    return result(
        Status.FAIL,
        "forwarded_socket_unusable",
        f"SSH_AUTH_SOCK on {host} is {probe.socket}, but ssh-add cannot use it (status {rc}: "
        + " ".join(probe.ssh_add_lines)
        + ")",
        f"reconnect (a stale socket from an earlier session?): ssh {host}",
    )
