"""Whether HOST's workload can take a connection now, as Baseten's API reports it (read-only,
nothing is signed): a training job's state (the job search), the deployment an environment
serves (the environment lookup), a model deployment's status. An example host has no such
check."""

from __future__ import annotations

from sshsetup.baseten import (
    DEPLOYMENT_ENDED,
    DEPLOYMENT_SERVING,
    ENVIRONMENT,
    EXAMPLE_HOSTS,
    TRAINING,
    HostName,
)
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.api import SigningClient
from sshsetup.connect.fetch import find_job
from sshsetup.connect.job_state import ENDED, RUNNING, describe
from sshsetup.connect.model_environment import current_deployment
from sshsetup.errors import ApiError, SshsetupError

_PHASE_STATUS = {RUNNING: Status.PASS, ENDED: Status.FAIL}


def asks_about(host: HostName) -> bool:
    """Whether ``host`` names a real workload to ask Baseten about (not an example host)."""
    return host.name not in EXAMPLE_HOSTS


def workload_check(client: SigningClient, host: HostName) -> CheckResult:
    try:
        if host.kind == TRAINING:
            return _training(client, host)
        if host.kind == ENVIRONMENT:
            return _environment(client, host)
        return _deployment(client, host)
    except ApiError as exc:
        return CheckResult(
            CheckId.WORKLOAD_STATE, Status.FAIL, exc.message, exc.hint, {"host": host.name}
        )
    except SshsetupError as exc:  # the network failed since api.reachable
        return CheckResult(
            CheckId.WORKLOAD_STATE,
            Status.WARN,
            f"could not ask Baseten about {host.workload}: {exc.message}",
            exc.hint,
            {"host": host.name},
        )


def _training(client: SigningClient, host: HostName) -> CheckResult:
    job = find_job(client, host.job_id or "")
    state = describe(job)
    status = _PHASE_STATUS.get(state.phase, Status.WARN)
    return CheckResult(
        CheckId.WORKLOAD_STATE,
        status,
        state.text,
        None if status is Status.PASS else state.hint,
        {
            "job_id": job.id,
            "project_id": job.project_id,
            "status": job.status,
            "error_message": job.error_message,
        },
    )


def _environment(client: SigningClient, host: HostName) -> CheckResult:
    target = current_deployment(client, host)
    status = f" ({target.deployment_status})" if target.deployment_status else ""
    return CheckResult(
        CheckId.WORKLOAD_STATE,
        Status.PASS,
        f"{host.workload} serves deployment {target.deployment_id}{status}: connections go there",
        details={
            "environment": host.environment,
            "model_id": host.model_id,
            "deployment_id": target.deployment_id,
            "deployment_status": target.deployment_status,
        },
    )


def _deployment(client: SigningClient, host: HostName) -> CheckResult:
    deployment = client.deployment(host)
    state = deployment.status or "unknown"
    details = {"model_id": host.model_id, "deployment_id": host.deployment_id, "status": state}
    if state in DEPLOYMENT_SERVING:
        return CheckResult(
            CheckId.WORKLOAD_STATE, Status.PASS, f"{host.workload} is {state}", details=details
        )
    if state in DEPLOYMENT_ENDED:
        return CheckResult(
            CheckId.WORKLOAD_STATE,
            Status.FAIL,
            f"{host.workload} is {state}: it has no replica to connect to",
            "deploy it again (or connect to a deployment that is active)",
            details,
        )
    return CheckResult(
        CheckId.WORKLOAD_STATE,
        Status.WARN,
        f"{host.workload} is {state}, not ACTIVE: a connection needs a running replica",
        "wait until it is ACTIVE (a scaled-to-zero deployment wakes on a request to it), "
        "then connect again",
        details,
    )
