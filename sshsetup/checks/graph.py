"""Which check needs which: the one dependency graph of doctor's (and agent check's) checks,
the order they are reported in, and ``CheckRun``, which skips a check whose need failed.

A check is only worth reading when what it builds on holds: ``ssh -G``'s values say nothing
about the block when ssh rejects the config, a certificate says nothing about a host that is
not Baseten's, the keys in the agent say nothing when there is no agent. So when a check
fails, every check that needs it (directly or through another) is reported as
``SKIP <id>: needs <failed id>`` instead of failing with a guessed cause, and the order puts
every check after the ones it needs: the first FAIL in the report is the one to fix
(docs/agent.md#diagnosis-ladder-for-agent-forwarding). A WARN does not skip anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from sshsetup.check_ids import EFFECTIVE_CHECK_IDS, CheckId
from sshsetup.check_result import CheckResult, Status, skipped

C = CheckId
CERTIFICATE_CHECKS = (
    C.CERTIFICATE_VALIDITY,
    C.CERTIFICATE_KEY,
    C.CERTIFICATE_AGENT_FORWARDING,
)

# check -> the checks it needs (a need that did not run, e.g. workload.state for a model
# host, counts as met).
NEEDS: Mapping[CheckId, tuple[CheckId, ...]] = {
    C.CONFIG_ACCEPTED: (C.OPENSSH_CLIENT,),
    C.CONFIG_USE_KEYCHAIN: (C.OPENSSH_CLIENT,),
    C.BLOCK_PRESENT: (C.CONFIG_TARGET,),
    C.CONNECT_RUNTIME: (C.BLOCK_PRESENT,),
    C.BLOCK_CURRENT: (C.CONNECT_RUNTIME,),
    C.BLOCK_OTHER_CLIENTS: (C.BLOCK_PRESENT,),
    C.BLOCK_SHADOWING: (C.BLOCK_PRESENT,),
    **{effective: (C.CONFIG_ACCEPTED, C.CONNECT_RUNTIME) for effective in EFFECTIVE_CHECK_IDS},
    C.HOST_BASETEN: (C.CONFIG_ACCEPTED,),
    C.CERTIFICATE_PRESENT: (C.HOST_BASETEN,),
    **{certificate: (C.CERTIFICATE_PRESENT,) for certificate in CERTIFICATE_CHECKS},
    C.API_CREDENTIALS: (C.API_REACHABLE, C.CREDENTIALS_API_KEY),
    C.WORKLOAD_STATE: (C.HOST_BASETEN, C.API_CREDENTIALS),
    C.AGENT_REACHABLE: (C.AGENT_LOCATION,),
    C.AGENT_IDENTITIES: (C.AGENT_REACHABLE,),
    C.AGENT_KEY_COUNT: (C.AGENT_REACHABLE,),
    C.AGENT_GITHUB: (C.AGENT_IDENTITIES,),
    C.PROXY_ACCEPTS: (C.HOST_BASETEN, C.WORKLOAD_STATE),
    # A real connection: everything the connect path uses on this machine.
    C.REMOTE_CONNECT: (
        C.CONNECT_RUNTIME,
        C.EFFECTIVE_PROXYCOMMAND,
        C.EFFECTIVE_CERTIFICATEFILE,
        C.EFFECTIVE_USER,
        C.CERTIFICATE_VALIDITY,
        C.CERTIFICATE_KEY,
        C.API_CREDENTIALS,
        C.WORKLOAD_STATE,
        C.PROXY_ACCEPTS,
    ),
    C.REMOTE_AGENT_FORWARDING: (C.REMOTE_CONNECT,),
}

# The order of the report: each check after the checks it needs (tests/unit/checks hold it
# to NEEDS). The per-OS checks (macos.*, windows.*) need nothing and come last, in the order
# their platform gives them.
ORDER: tuple[CheckId, ...] = (
    C.OPENSSH_CLIENT,
    C.CONFIG_TARGET,
    C.CONFIG_ACCEPTED,
    C.CONFIG_USE_KEYCHAIN,
    C.BLOCK_PRESENT,
    C.CONNECT_RUNTIME,
    C.BLOCK_CURRENT,
    C.BLOCK_OTHER_CLIENTS,
    C.BLOCK_SHADOWING,
    *EFFECTIVE_CHECK_IDS,
    C.HOST_BASETEN,
    C.CERTIFICATE_PRESENT,
    *CERTIFICATE_CHECKS,
    C.CREDENTIALS_API_KEY,
    C.API_REACHABLE,
    C.API_CREDENTIALS,
    C.WORKLOAD_STATE,
    C.AGENT_SSH_CONFIG,
    C.AGENT_LOCATION,
    C.AGENT_REACHABLE,
    C.AGENT_IDENTITIES,
    C.AGENT_KEY_COUNT,
    C.AGENT_GITHUB,
    C.KEYS_PERMISSIONS,
    C.CONFIG_PERMISSIONS,
    C.PROXY_ACCEPTS,
    C.REMOTE_CONNECT,
    C.REMOTE_AGENT_FORWARDING,
)
PLATFORM_PREFIXES = ("macos.", "windows.")
_RANK = {check_id: rank for rank, check_id in enumerate(ORDER)}


def rank(check_id: CheckId) -> int:
    """Where ``check_id`` is reported (the per-OS checks after all the others)."""
    return _RANK.get(check_id, len(ORDER))


class CheckRun:
    """The results of one run of checks, as they come: a result whose need failed (or was
    itself skipped) is kept as a SKIP naming the failed check."""

    def __init__(self) -> None:
        self._results: dict[CheckId, CheckResult] = {}

    def failed_need(self, check_id: CheckId) -> CheckId | None:
        """The failed check that ``check_id`` needs, directly or through a skipped one."""
        for need in NEEDS.get(check_id, ()):
            result = self._results.get(need)
            if result is not None and result.status is Status.FAIL:
                return need
            if result is not None and result.needs is not None:
                return result.needs
        return None

    def add(self, *results: CheckResult) -> None:
        for result in results:
            failed = self.failed_need(result.id)
            self._results[result.id] = result if failed is None else skipped(result.id, failed)

    def step(self, ids: Sequence[CheckId], produce: Callable[[], Iterable[CheckResult]]) -> None:
        """Run ``produce`` (which reports some of ``ids``) unless every one of ``ids`` needs a
        failed check (maybe through another of ``ids``); each of ``ids`` it did not report
        because a need failed is a SKIP."""
        unmet = self._unmet(ids)
        if len(unmet) < len(ids):
            self.add(*produce())
        for check_id in ids:
            failed = self.failed_need(check_id) or unmet.get(check_id)
            if check_id not in self._results and failed is not None:
                self._results[check_id] = skipped(check_id, failed)

    def _unmet(self, ids: Sequence[CheckId]) -> dict[CheckId, CheckId]:
        """Each of ``ids`` that needs a failed check -> that check, before any of them ran."""
        unmet: dict[CheckId, CheckId] = {}
        for check_id in sorted(ids, key=rank):
            failed = self.failed_need(check_id)
            inner = [unmet[need] for need in NEEDS.get(check_id, ()) if need in unmet]
            if failed is not None or inner:
                unmet[check_id] = failed or inner[0]
        return unmet

    def results(self) -> list[CheckResult]:
        """Every result, in report order."""
        return sorted(self._results.values(), key=lambda result: rank(result.id))
