"""What the sandbox's Baseten knows about its workloads: training jobs (state, interactive
sessions) and model environments (which deployment each serves). Tests and benchmarks change
it through ``SandboxControls.workloads``; the API and the proxy read it. Thread-safe.

Defaults make every name work: a job is running (trigger ``on_demand``, no session until the
first SSH connection reaches it, docs/baseten-protocol.md#on-demand-activation), and an
environment serves a deployment derived from its name until a test promotes another. A test
can make a job's on_demand session take time to start (``set_activation``): the proxy then
refuses (or closes) that node's connections until it is up. Jobs and models are listed as the
job search and ``GET /v1/models`` list them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sshsetup.baseten import JOB_RUNNING, SESSION_TRIGGERS, replica_of_node

DEFAULT_TRIGGER = "on_demand"
DEFAULT_TIMEOUT_MINUTES = 480
ON_STARTUP = "on_startup"
ACTIVE = "ACTIVE"


def project_of_job(job_id: str) -> str:
    """Every job belongs to one project; the sandbox derives it so it is stable."""
    return "proj" + hashlib.sha256(job_id.encode()).hexdigest()[:8]


def first_deployment(model_id: str, environment: str) -> str:
    """The deployment an environment serves until a test promotes another (no '-': the
    model host grammar splits at it)."""
    return "dep" + hashlib.sha256(f"{model_id}/{environment}".encode()).hexdigest()[:6]


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass
class InteractiveSession:
    session_id: str
    replica_id: str
    trigger: str
    timeout_minutes: int
    expires_at: float
    generated_at: float
    working_directory: str = "/workspace"
    reachable_at: float = 0.0  # an on_demand session started by a connection: up from then on
    tunnel_name: str | None = None
    auth_code: str | None = None  # VS Code / Cursor tunnels only
    auth_url: str | None = None

    def auth_code_entry(self) -> dict[str, Any]:
        """As ``GET .../auth_codes`` lists it
        (docs/baseten-protocol.md#session-auth-codes-endpoint)."""
        return {
            "session_id": self.session_id,
            "replica_id": self.replica_id,
            "trigger": self.trigger,
            "tunnel_name": self.tunnel_name,
            "auth_code": self.auth_code or "",
            "auth_url": self.auth_url or "",
            "generated_at": _iso(self.generated_at),
            "expires_at": _iso(self.expires_at),
            "working_directory": self.working_directory,
        }

    def to_json(self) -> dict[str, Any]:
        """As a PATCH answers it (``InteractiveSessionV1``)."""
        return {
            "id": self.session_id,
            "trigger": self.trigger,
            "timeout_minutes": self.timeout_minutes,
            "session_provider": "vs_code" if self.tunnel_name else "ssh",
            "auth_provider": "github",
            "pod_name": self.replica_id,
            "expires_at": _iso(self.expires_at),
            "tunnel_name": self.tunnel_name,
            "auth_code": self.auth_code,
            "auth_url": self.auth_url,
            "working_directory": self.working_directory,
        }


@dataclass
class TrainingJob:
    job_id: str
    status: str = JOB_RUNNING
    error_message: str | None = None
    trigger: str = DEFAULT_TRIGGER
    timeout_minutes: int = DEFAULT_TIMEOUT_MINUTES
    sessions: dict[str, InteractiveSession] = field(default_factory=dict)  # by replica
    created_at: float = field(default_factory=time.time)
    activation_seconds: float = 0.0  # how long an on_demand session takes to come up
    activation_closes: bool = False  # meanwhile the proxy closes (else: refuses) connections

    def to_json(self) -> dict[str, Any]:
        """As the job search and the job endpoint describe it (``TrainingJobV1``)."""
        project = project_of_job(self.job_id)
        return {
            "id": self.job_id,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.created_at),
            "current_status": self.status,
            "error_message": self.error_message,
            "training_project_id": project,
            "training_project": {"id": project, "name": f"project of {self.job_id}"},
        }


class SessionRefused(ValueError):
    """A change the API refuses (its message is the API's answer)."""


ACTIVATING_REFUSE = "refuse"  # the proxy answers a non-zero status byte while a session starts
ACTIVATING_CLOSE = "close"  # the proxy closes the connection without a status byte


class Workloads:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, TrainingJob] = {}
        self._missing_jobs: set[str] = set()
        self._environments: dict[tuple[str, str], str | None] = {}
        self._missing_environments: set[tuple[str, str]] = set()
        self._deployments: dict[tuple[str, str], str | None] = {}  # status; None: deleted
        self._sessions = 0
        self._models: dict[str, dict[str, Any]] = {}

    # --- training jobs ----------------------------------------------------------------------

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The job as the API describes it; None when the test removed it."""
        with self._lock:
            return None if job_id in self._missing_jobs else self._job(job_id).to_json()

    def job_status(self, job_id: str) -> str | None:
        with self._lock:
            return None if job_id in self._missing_jobs else self._job(job_id).status

    def set_job_status(self, job_id: str, status: str, error_message: str | None = None) -> None:
        """What the job search reports for the job; only a running job signs and connects."""
        with self._lock:
            job = self._job(job_id)
            job.status, job.error_message = status, error_message
            self._missing_jobs.discard(job_id)
            if status != JOB_RUNNING:
                job.sessions.clear()

    def remove_job(self, job_id: str) -> None:
        """The job search stops finding the job."""
        with self._lock:
            self._missing_jobs.add(job_id)

    def set_trigger(self, job_id: str, trigger: str) -> None:
        """The trigger the job was pushed with (its sessions start with it)."""
        with self._lock:
            self._job(job_id).trigger = trigger

    def open_session(
        self,
        job_id: str,
        node: str = "0",
        *,
        trigger: str | None = None,
        tunnel: bool = False,
        minutes: int | None = None,
    ) -> dict[str, Any]:
        """Start an interactive session on a node now (as on_startup does, or a tunnel's
        device-code flow); returns its auth_codes entry."""
        with self._lock:
            return self._open(self._job(job_id), node, trigger, tunnel, minutes).auth_code_entry()

    def set_activation(self, job_id: str, seconds: float, close: bool = False) -> None:
        """The job's on_demand sessions take ``seconds`` to come up after the first connection;
        until then the proxy refuses that node's connections (``close``: closes them)."""
        with self._lock:
            job = self._job(job_id)
            job.activation_seconds, job.activation_closes = seconds, close

    def connected(self, job_id: str, node: str) -> str | None:
        """An SSH connection reached the node: an on_demand session starts now. None when the
        node takes the connection; else what the proxy does while the session starts
        (ACTIVATING_REFUSE or ACTIVATING_CLOSE)."""
        with self._lock:
            job = self._job(job_id)
            session = job.sessions.get(replica_of_node(node))
            if session is None and job.trigger == DEFAULT_TRIGGER:
                session = self._open(job, node, None, False, None)
                session.reachable_at = time.time() + job.activation_seconds
            if session is None or time.time() >= session.reachable_at:
                return None
            return ACTIVATING_CLOSE if job.activation_closes else ACTIVATING_REFUSE

    def search(self, statuses: list[str] | None) -> list[dict[str, Any]]:
        """Every job the sandbox knows (it knows a job once it was named), newest first, as
        ``POST /v1/training_jobs/search`` without a job id lists them."""
        with self._lock:
            jobs = [
                job
                for job_id, job in self._jobs.items()
                if job_id not in self._missing_jobs and (not statuses or job.status in statuses)
            ]
            jobs.sort(key=lambda job: job.created_at, reverse=True)
            return [job.to_json() for job in jobs]

    def auth_codes(self, job_id: str) -> list[dict[str, Any]]:
        with self._lock:
            job = self._job(job_id)
            return [job.sessions[key].auth_code_entry() for key in sorted(job.sessions)]

    def update_session(
        self, job_id: str, session_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """``PATCH .../interactive_sessions/{S}``: add minutes, change the trigger."""
        with self._lock:
            job = self._job(job_id)
            session = next((s for s in job.sessions.values() if s.session_id == session_id), None)
            if session is None:
                raise KeyError(session_id)
            minutes, trigger = _changes(changes)
            if trigger is not None and session.trigger == ON_STARTUP and trigger != ON_STARTUP:
                raise SessionRefused(
                    "Cannot change the trigger of an on_startup session; extend it with "
                    "timeout_minutes instead"
                )
            said = []
            if minutes is not None:
                added = 10 * 365 * 24 * 60 if minutes == -1 else minutes
                session.expires_at += added * 60
                session.timeout_minutes += added
                said.append(f"extended by {minutes} minutes")
            if trigger is not None:
                session.trigger = trigger
                said.append(f"trigger set to {trigger}")
            return {
                "interactive_session": session.to_json(),
                "message": "Session " + (" and ".join(said) or "unchanged"),
            }

    def update_job_session(self, job_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``PATCH .../interactive_session``: the job's configuration; changing the trigger of
        a running job starts its session (docs/baseten-protocol.md#on-demand-activation)."""
        with self._lock:
            job = self._job(job_id)
            minutes, trigger = _changes(changes)
            if minutes is not None:
                job.timeout_minutes = minutes
            if trigger is not None:
                job.trigger = trigger
                if job.status == JOB_RUNNING and not job.sessions:
                    self._open(job, "0", trigger, False, None)
            return {"message": f"Interactive session of job {job_id} updated"}

    def _job(self, job_id: str) -> TrainingJob:
        return self._jobs.setdefault(job_id, TrainingJob(job_id))

    def _open(
        self, job: TrainingJob, node: str, trigger: str | None, tunnel: bool, minutes: int | None
    ) -> InteractiveSession:
        self._sessions += 1
        now = time.time()
        replica = replica_of_node(node)
        length = minutes if minutes is not None else job.timeout_minutes
        session = InteractiveSession(
            session_id=f"isess{self._sessions}",
            replica_id=replica,
            trigger=trigger or job.trigger,
            timeout_minutes=length,
            expires_at=now + length * 60,
            generated_at=now,
            tunnel_name=f"{job.job_id}-{replica}" if tunnel else None,
            auth_code=f"{self._sessions:04d}-C0D9" if tunnel else None,
            auth_url="https://github.com/login/device" if tunnel else None,
        )
        job.sessions[replica] = session
        return session

    # --- model environments -----------------------------------------------------------------

    def environment(self, model_id: str, environment: str) -> dict[str, Any] | None:
        """As ``GET /v1/models/{M}/environments/{E}`` answers; None: no such environment."""
        key = (model_id, environment)
        with self._lock:
            if key in self._missing_environments:
                return None
            deployment = self._environments.get(key, first_deployment(model_id, environment))
        current = None
        if deployment is not None:
            current = {"id": deployment, "name": deployment, "status": ACTIVE, "model_id": model_id}
        return {"name": environment, "model_id": model_id, "current_deployment": current}

    def promote(self, model_id: str, environment: str, deployment: str | None) -> None:
        """Make the environment serve ``deployment`` (None: no current deployment)."""
        with self._lock:
            self._environments[(model_id, environment)] = deployment
            self._missing_environments.discard((model_id, environment))

    def remove_environment(self, model_id: str, environment: str) -> None:
        with self._lock:
            self._missing_environments.add((model_id, environment))

    def add_model(
        self,
        model_id: str,
        name: str,
        production_deployment: str | None,
        development_deployment: str | None = None,
    ) -> None:
        """A model ``GET /v1/models`` lists (``ModelV1``); its production environment serves
        the production deployment."""
        with self._lock:
            self._models[model_id] = {
                "id": model_id,
                "created_at": _iso(time.time()),
                "name": name,
                "deployments_count": sum(
                    1 for d in (production_deployment, development_deployment) if d
                ),
                "production_deployment_id": production_deployment,
                "development_deployment_id": development_deployment,
                "instance_type_name": "1x4",
            }
            self._environments[(model_id, "production")] = production_deployment

    def models(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(model) for model in self._models.values()]

    # --- model deployments -------------------------------------------------------------------

    def deployment(self, model_id: str, deployment_id: str) -> dict[str, Any] | None:
        """As ``GET /v1/models/{M}/deployments/{D}`` answers (every deployment is ACTIVE until
        a test says otherwise); None: no such deployment."""
        with self._lock:
            status = self._deployments.get((model_id, deployment_id), ACTIVE)
        if status is None:
            return None
        return {"id": deployment_id, "name": deployment_id, "model_id": model_id, "status": status}

    def set_deployment_status(self, model_id: str, deployment_id: str, status: str | None) -> None:
        """A deployment's status (e.g. SCALED_TO_ZERO, INACTIVE); None deletes it."""
        with self._lock:
            self._deployments[(model_id, deployment_id)] = status


def _changes(changes: dict[str, Any]) -> tuple[int | None, str | None]:
    minutes = changes.get("timeout_minutes")
    trigger = changes.get("trigger")
    if minutes is not None and (
        not isinstance(minutes, int) or isinstance(minutes, bool) or (minutes < 1 and minutes != -1)
    ):
        raise SessionRefused("timeout_minutes must be a positive number of minutes, or -1")
    if trigger is not None and trigger not in SESSION_TRIGGERS:
        raise SessionRefused(f"trigger must be one of {', '.join(SESSION_TRIGGERS)}")
    if minutes is None and trigger is None:
        raise SessionRefused("give timeout_minutes, trigger, or both")
    return minutes, trigger
