"""The dependency graph of the checks (sshsetup.checks.graph): every check is reported after
the checks it needs, and a failure skips what depends on it, naming the root failure."""

from __future__ import annotations

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.checks.graph import NEEDS, ORDER, PLATFORM_PREFIXES, CheckRun, rank


def result(check_id: CheckId, status: Status = Status.PASS) -> CheckResult:
    return CheckResult(check_id, status, f"{check_id.value} {status.value}")


def test_every_check_but_the_per_os_ones_has_a_place_in_the_order_once() -> None:
    assert len(ORDER) == len(set(ORDER))
    placed = {check for check in CheckId if not check.value.startswith(PLATFORM_PREFIXES)}
    assert set(ORDER) == placed


def test_every_check_comes_after_what_it_needs() -> None:
    for check, needs in NEEDS.items():
        assert needs, check
        for need in needs:
            assert rank(need) < rank(check), f"{check.value} is reported before {need.value}"


def test_a_failure_skips_its_dependents_naming_the_root_and_a_warning_skips_nothing() -> None:
    run = CheckRun()
    run.add(result(CheckId.OPENSSH_CLIENT), result(CheckId.CONFIG_TARGET))
    run.add(result(CheckId.CONFIG_ACCEPTED, Status.FAIL))
    run.step([CheckId.HOST_BASETEN], lambda: [result(CheckId.HOST_BASETEN)])
    produced: list[CheckId] = []

    def certificates() -> list[CheckResult]:
        produced.append(CheckId.CERTIFICATE_PRESENT)
        return [result(CheckId.CERTIFICATE_PRESENT)]

    run.step([CheckId.CERTIFICATE_PRESENT, CheckId.CERTIFICATE_KEY], certificates)
    run.add(result(CheckId.AGENT_LOCATION, Status.WARN), result(CheckId.AGENT_REACHABLE))

    by_id = {check.id: check for check in run.results()}
    assert produced == []  # nothing the step would report could be read
    for skipped in (CheckId.HOST_BASETEN, CheckId.CERTIFICATE_PRESENT, CheckId.CERTIFICATE_KEY):
        assert by_id[skipped].status is Status.SKIP
        assert by_id[skipped].needs is CheckId.CONFIG_ACCEPTED
        assert by_id[skipped].seen == "needs config.accepted"
    assert by_id[CheckId.AGENT_REACHABLE].status is Status.PASS
    assert [check.id for check in run.results()] == sorted(by_id, key=rank)


def test_a_step_reports_what_it_did_not_produce_because_a_need_failed() -> None:
    run = CheckRun()
    run.add(result(CheckId.OPENSSH_CLIENT), result(CheckId.CONFIG_ACCEPTED))
    run.add(result(CheckId.HOST_BASETEN))
    run.step(
        [CheckId.CERTIFICATE_PRESENT, CheckId.CERTIFICATE_VALIDITY],
        lambda: [result(CheckId.CERTIFICATE_PRESENT, Status.FAIL)],
    )
    by_id = {check.id: check for check in run.results()}
    assert by_id[CheckId.CERTIFICATE_VALIDITY].needs is CheckId.CERTIFICATE_PRESENT
    assert by_id[CheckId.HOST_BASETEN].status is Status.PASS
