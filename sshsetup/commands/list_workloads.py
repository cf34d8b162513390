"""`sshsetup list [--remote R] [--json]`: what can be connected to, each with the exact line
that connects (docs/baseten-protocol.md#listing-jobs-and-models).

Two API requests, whatever the account holds:

- the job search for the training jobs that run or are starting (a starting one can be
  waited for: `sshsetup ssh` does), newest first: job id, project, state, age, and the
  ``ssh``/``sshsetup ssh`` lines for node 0 (``--node N`` for the others: the search does not
  say how many nodes a job has);
- ``GET /v1/models``: each model's production and development deployment, with the host of
  the production environment. Other deployments and environments would cost a request per
  model, so they are not listed; whether a deployment is active (or scaled to zero) is not in
  that answer either.

The job ids go to a small file for shell completion (``job_cache``), when the default
remote was listed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sshsetup.baseten import JOB_RUNNING, JOB_STARTING, environment_host, model_host, training_host
from sshsetup.certs.info import duration
from sshsetup.certs.installed import current_installation
from sshsetup.connect.api import Model, TrainingJob, timeout_from_env
from sshsetup.connect.baseten_cli_profiles import parse_rfc3339
from sshsetup.connect.fetch import client_for
from sshsetup.connect.job_state import describe
from sshsetup.context import Context
from sshsetup.job_cache import write_jobs
from sshsetup.results import Outcome, Result

PRODUCTION = "production"
DEVELOPMENT = "development"


@dataclass(frozen=True)
class Request:
    remote: str | None = None


@dataclass(frozen=True)
class ListedJob:
    job_id: str
    project_id: str
    project_name: str | None
    status: str | None  # current_status
    state: str  # running or starting
    created_at: str | None
    age_seconds: int | None
    host: str  # node 0
    ssh_command: str
    sshsetup_command: str

    def text(self) -> str:
        project = self.project_name or self.project_id
        age = "" if self.age_seconds is None else f", created {duration(self.age_seconds)} ago"
        short = (self.status or "unknown").removeprefix("TRAINING_JOB_")
        waits = "" if self.state == "running" else "   (waits until it runs)"
        return (
            f"  {self.job_id}  {short}  project {project}{age}\n"
            f"      {self.ssh_command}\n      {self.sshsetup_command}{waits}"
        )


@dataclass(frozen=True)
class ListedDeployment:
    model_id: str
    model_name: str | None
    deployment_id: str
    role: str  # production or development
    host: str
    environment_host: str | None  # the production environment's (whatever it serves)
    ssh_command: str
    sshsetup_command: str

    def text(self) -> str:
        lines = [
            f"  {self.model_id} {self.model_name or ''}  {self.role} deployment "
            f"{self.deployment_id}",
            f"      {self.ssh_command}",
        ]
        if self.environment_host:
            lines.append(f"      ssh {self.environment_host}   (whatever production serves)")
        lines.append(f"      {self.sshsetup_command}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ListResult(Result):
    remote: str
    api_base_url: str
    jobs: list[ListedJob]
    deployments: list[ListedDeployment]

    def text(self, colour: bool) -> str:
        lines = [f"training jobs running or starting (remote {self.remote}, {self.api_base_url}):"]
        lines += [job.text() for job in self.jobs] or ["  none"]
        lines.append("model deployments (each model's production and development deployment):")
        lines += [deployment.text() for deployment in self.deployments] or ["  none"]
        if self.jobs:
            lines.append("a job's other nodes: add --node N (ssh training-job-<job_id>-<N>...)")
        return "\n".join(lines)


def run(ctx: Context, request: Request) -> Outcome[ListResult]:
    installation = current_installation(ctx.paths)
    timeout = timeout_from_env(ctx.env)
    client = client_for(installation, request.remote, None, ctx.env, timeout)
    jobs = client.search_jobs([JOB_RUNNING, *JOB_STARTING])
    models = client.models()
    now = time.time()
    listed = [_job(job, request.remote, now) for job in jobs]
    if request.remote is None:
        write_jobs(
            ctx.paths.job_list_file,
            [
                (job.job_id, f"{job.state}, project {job.project_name or job.project_id}")
                for job in listed
            ],
        )
    return Outcome(
        ListResult(
            remote=client.remote,
            api_base_url=client.base_url,
            jobs=listed,
            deployments=[d for model in models for d in _deployments(model, request.remote)],
        )
    )


def _job(job: TrainingJob, remote: str | None, now: float) -> ListedJob:
    created = parse_rfc3339(job.created_at) if job.created_at else None
    host = training_host(job.id, "0", remote).name
    return ListedJob(
        job_id=job.id,
        project_id=job.project_id,
        project_name=job.project_name,
        status=job.status,
        state=describe(job).phase,
        created_at=job.created_at,
        age_seconds=None if created is None else max(0, int(now - created)),
        host=host,
        ssh_command=f"ssh {host}",
        sshsetup_command=f"sshsetup ssh {job.id}" + _remote_flag(remote),
    )


def _deployments(model: Model, remote: str | None) -> list[ListedDeployment]:
    listed = []
    for role, deployment in (
        (PRODUCTION, model.production_deployment_id),
        (DEVELOPMENT, model.development_deployment_id),
    ):
        if not deployment:
            continue
        host = model_host(model.id, deployment, None, remote).name
        environment = environment_host(PRODUCTION, model.id, remote).name
        listed.append(
            ListedDeployment(
                model_id=model.id,
                model_name=model.name,
                deployment_id=deployment,
                role=role,
                host=host,
                environment_host=environment if role == PRODUCTION else None,
                ssh_command=f"ssh {host}",
                sshsetup_command=f"sshsetup ssh {model.id} --deployment {deployment}"
                + _remote_flag(remote),
            )
        )
    return listed


def _remote_flag(remote: str | None) -> str:
    return f" --remote {remote}" if remote else ""
