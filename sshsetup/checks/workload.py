"""Whether HOST's workload can take a connection now, as Baseten's API reports it (read-only:
the job search for a training host, the environment lookup for an environment host; nothing is
signed). A model deployment host has no such check; neither has an example host."""

from __future__ import annotations

from collections.abc import Mapping

from sshsetup.baseten import ENVIRONMENT, EXAMPLE_HOSTS, TRAINING, HostName
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.api import SigningClient, timeout_from_env
from sshsetup.connect.fetch import client_for, find_job
from sshsetup.connect.installation import Installation
from sshsetup.connect.job_state import ENDED, RUNNING, describe
from sshsetup.connect.model_environment import current_deployment
from sshsetup.errors import ApiError, SshsetupError

_PHASE_STATUS = {RUNNING: Status.PASS, ENDED: Status.FAIL}


def workload_check(
    installation: Installation, host: HostName, env: Mapping[str, str]
) -> CheckResult | None:
    if host.kind not in (TRAINING, ENVIRONMENT) or host.name in EXAMPLE_HOSTS:
        return None
    try:
        client = client_for(installation, host.remote, host.api_prefix, env, timeout_from_env(env))
        return _training(client, host) if host.kind == TRAINING else _environment(client, host)
    except ApiError as exc:
        return CheckResult(
            CheckId.WORKLOAD_STATE, Status.FAIL, exc.message, exc.hint, {"host": host.name}
        )
    except SshsetupError as exc:  # no credential, no network: the other checks say more
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
