"""The client of Baseten's SSH endpoints (docs/baseten-protocol.md#endpoints): signing, the
training job lookup, model environments, interactive sessions.

Requests go through ``connect.http`` (no redirects, one deadline, bounded answers, redacted
error text; the credential is an opaque Authorization value there). Every failure becomes an
ApiError or NetworkError naming its cause, never the credential: 401/403, 404, 5xx, other
HTTP errors, a redirect, a malformed answer, timeouts, TLS verification, refused connections.
Each request has its own deadline (``SSHSETUP_API_TIMEOUT``) unless the caller set one for a
series (``deadline``: a fetch under its host's lock, so the lock never outlives it).
Every request carries ``X-Client-Version`` (docs/baseten-protocol.md#client-identification).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sshsetup import __version__
from sshsetup.baseten import (
    AUTH_CODES_PATH,
    DEPLOYMENT_PATH,
    ENVIRONMENT,
    ENVIRONMENT_PATH,
    JOB_SESSION_PATH,
    MODELS_PATH,
    SEARCH_JOBS_PATH,
    SESSION_PATH,
    SIGN_MODEL_PATH,
    SIGN_TRAINING_PATH,
    TRAINING,
    TRAINING_JOB_PATH,
    USERS_ME_PATH,
    HostName,
)
from sshsetup.connect import http
from sshsetup.connect.environment import API_TIMEOUT_ENV, CLIENT_VERSION_ENV
from sshsetup.errors import ApiError, BadInput, InternalError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sshsetup.connect.credentials import Credential, KeySource

DEFAULT_TIMEOUT_SECONDS = 30.0
_MAX_CLIENT_VERSION = 64


@dataclass(frozen=True)
class SignedCertificate:
    ssh_certificate: str
    jwt: str
    proxy_address: str
    server_date: float | None = None  # the signer's clock when it answered (its Date header)


@dataclass(frozen=True)
class TrainingJob:
    """A training job as the job search or the job endpoint describe it."""

    id: str
    project_id: str
    status: str | None  # current_status, e.g. TRAINING_JOB_RUNNING
    error_message: str | None
    created_at: str | None = None  # ISO 8601
    project_name: str | None = None


@dataclass(frozen=True)
class Model:
    """A model as ``GET /v1/models`` lists it (``ModelV1``)."""

    id: str
    name: str | None
    production_deployment_id: str | None
    development_deployment_id: str | None


@dataclass(frozen=True)
class EnvironmentTarget:
    """What a model environment serves now (``current_deployment``)."""

    deployment_id: str | None
    deployment_status: str | None


@dataclass(frozen=True)
class User:
    """Whom a credential belongs to (``GET /v1/users/me``); nothing secret."""

    user_id: str | None
    email: str | None
    workspace_name: str | None


@dataclass(frozen=True)
class Deployment:
    """A model deployment as ``GET /v1/models/{M}/deployments/{D}`` describes it."""

    deployment_id: str | None
    status: str | None  # DeploymentStatusV1, e.g. ACTIVE, SCALED_TO_ZERO, INACTIVE


@dataclass(frozen=True)
class InteractiveSession:
    """One entry of a job's interactive sessions (``auth_codes``)."""

    session_id: str | None
    replica_id: str | None
    trigger: str | None
    tunnel_name: str | None
    auth_code: str | None  # a device code for VS Code / Cursor tunnels (empty for SSH)
    auth_url: str | None
    generated_at: str | None
    expires_at: str | None
    working_directory: str | None


class HttpError(ApiError):
    """The API answered with an HTTP error status; ``detail`` is its own words, redacted."""

    def __init__(self, message: str, hint: str, status: int, detail: str) -> None:
        super().__init__(message, hint)
        self.status = status
        self.detail = detail

    @property
    def refusal(self) -> bool:
        """The API understood and said no (not: bad credential, rate limit, server fault)."""
        return 400 <= self.status < 500 and self.status not in (401, 429)


def timeout_from_env(env: Mapping[str, str]) -> float:
    raw = env.get(API_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 3600:
        raise BadInput(
            f"{API_TIMEOUT_ENV}={raw!r} is not a number of seconds between 0 and 3600",
            hint=f"unset {API_TIMEOUT_ENV} or set it to e.g. 30",
        )
    return value


def client_version_from_env(env: Mapping[str, str]) -> str:
    """``X-Client-Version``: sshsetup's version, or ``SSHSETUP_CLIENT_VERSION`` for support."""
    raw = env.get(CLIENT_VERSION_ENV)
    if not raw:
        return __version__
    value = raw.strip()
    if not value or len(value) > _MAX_CLIENT_VERSION or not all(" " <= c <= "~" for c in value):
        raise BadInput(
            f"{CLIENT_VERSION_ENV} must be 1 to {_MAX_CLIENT_VERSION} printable ASCII characters",
            hint=f"unset {CLIENT_VERSION_ENV}, or set it to the version Baseten support asked for",
        )
    return value


class SigningClient:
    def __init__(
        self,
        base_url: str,
        credential: Credential,
        remote: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        client_version: str = __version__,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self.remote = remote
        self.timeout = timeout
        self.client_version = client_version
        self.deadline: http.Deadline | None = None  # None: each request has its own

    @property
    def credential_source(self) -> KeySource:
        """Where the credential was found (never the credential itself)."""
        return self._credential.source

    @property
    def relogin_hint(self) -> str:
        return self._credential.relogin_hint

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a message: the Authorization value, and its secret."""
        return (self._authorization, self._credential.secret)

    @property
    def _authorization(self) -> str:
        return f"{self._credential.scheme} {self._credential.secret}"

    def sign(
        self,
        host: HostName,
        public_key: str,
        training_project: str | None = None,
        deployment: str | None = None,
    ) -> SignedCertificate:
        """Have the workload behind ``host`` sign ``public_key`` (the .pub line).

        ``training_project``: a training host's project (``find_job``, or remembered: a job
        never changes project). ``deployment``: an environment host's current deployment
        (``environment``)."""
        target = {TRAINING: training_project, ENVIRONMENT: deployment}.get(
            host.kind, host.deployment_id
        )
        if not target:
            raise InternalError(f"nothing to sign {host.workload} with", hint="report this bug")
        if host.kind == TRAINING:
            path = SIGN_TRAINING_PATH.format(project=_quote(target), job=_quote(host.job_id))
            body: dict[str, Any] = {"public_key": public_key, "replica_id": host.node}
        else:
            path = SIGN_MODEL_PATH.format(model=_quote(host.model_id), deployment=_quote(target))
            body = {"public_key": public_key}
            if host.replica:
                body["replica_id"] = host.replica
        reply = self._reply("POST", path, body, host.workload)
        answer = http.parse_json(reply, self._where)
        fields = {}
        for name in ("ssh_certificate", "jwt", "proxy_address"):
            value = answer.get(name) if isinstance(answer, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise ApiError(
                    f"the signing API at {self.base_url} answered without {name!r}",
                    hint="the API may have changed; update sshsetup, or report this",
                )
            fields[name] = value.strip()
        return SignedCertificate(**fields, server_date=reply.server_date)

    def find_job(self, job_id: str) -> TrainingJob | None:
        """The job search (docs/baseten-protocol.md#training-job-lookup); None: no such job."""
        answer = self._post(SEARCH_JOBS_PATH, {"job_id": job_id}, f"training job {job_id}")
        jobs = answer if isinstance(answer, list) else None
        if isinstance(answer, dict):
            jobs = answer.get("training_jobs")
        if not isinstance(jobs, list) or not jobs:
            return None
        found = [job for job in jobs if isinstance(job, dict) and job.get("id") == job_id]
        return self._job(found[0] if found else jobs[0], job_id)

    def search_jobs(self, statuses: Sequence[str]) -> list[TrainingJob]:
        """The account's training jobs in one of ``statuses``, newest first: the job search
        as ``truss train view`` sends it (docs/baseten-protocol.md#listing-jobs-and-models)."""
        body = {"statuses": list(statuses), "order_by": [{"field": "created_at", "order": "desc"}]}
        answer = self._post(SEARCH_JOBS_PATH, body, "the training job search")
        jobs = self._records(answer, "training_jobs", "the job search")
        return [self._job(job, str(job["id"])) for job in jobs if job.get("id")]

    def models(self) -> list[Model]:
        """``GET /v1/models``: every model with its production and development deployment."""
        answer = self._get(MODELS_PATH, "the list of models")
        return [
            Model(
                id=str(model["id"]),
                name=_optional_text(model.get("name")),
                production_deployment_id=_optional_text(model.get("production_deployment_id")),
                development_deployment_id=_optional_text(model.get("development_deployment_id")),
            )
            for model in self._records(answer, "models", "the list of models")
            if model.get("id")
        ]

    def job(self, project_id: str, job_id: str) -> TrainingJob:
        """``GET .../jobs/{J}``: the job with its current state."""
        path = TRAINING_JOB_PATH.format(project=_quote(project_id), job=_quote(job_id))
        answer = self._get(path, f"training job {job_id}")
        record = answer.get("training_job") if isinstance(answer, dict) else None
        if isinstance(record, dict) and not (record.get("training_project_id") or ""):
            record = {**record, "training_project_id": project_id}
        return self._job(record, job_id)

    def _job(self, record: Any, job_id: str) -> TrainingJob:
        project: Any = None
        if isinstance(record, dict):
            project = record.get("training_project_id")  # the Go CLI, the published API
            nested = record.get("training_project")  # truss 0.18.36
            if not project and isinstance(nested, dict):
                project = nested.get("id")
        if not isinstance(project, (str, int)) or project == "":
            raise ApiError(
                f"the API at {self.base_url} described training job {job_id} without its "
                "project id",
                hint="the API may have changed; update sshsetup, or report this",
            )
        assert isinstance(record, dict)
        return TrainingJob(
            id=str(record.get("id") or job_id),
            project_id=str(project),
            status=_optional_text(record.get("current_status")),
            error_message=_optional_text(record.get("error_message")),
            created_at=_optional_text(record.get("created_at")),
            project_name=_optional_text(nested.get("name")) if isinstance(nested, dict) else None,
        )

    def environment(self, host: HostName) -> EnvironmentTarget:
        """``GET /v1/models/{M}/environments/{E}``: the deployment the environment serves
        (docs/baseten-protocol.md#environment-resolution)."""
        path = ENVIRONMENT_PATH.format(
            model=_quote(host.model_id), environment=_quote(host.environment)
        )
        answer = self._get(path, host.workload)
        current = answer.get("current_deployment") if isinstance(answer, dict) else None
        if not isinstance(current, dict):
            return EnvironmentTarget(None, None)
        return EnvironmentTarget(
            _optional_text(current.get("id")), _optional_text(current.get("status"))
        )

    def user(self) -> User:
        """``GET /v1/users/me``: one cheap authenticated call that signs nothing
        (docs/baseten-protocol.md#checking-a-credential)."""
        answer = self._get(USERS_ME_PATH, "the user of this credential")
        record = answer if isinstance(answer, dict) else {}
        return User(
            _optional_text(record.get("user_id")),
            _optional_text(record.get("email")),
            _optional_text(record.get("workspace_name")),
        )

    def deployment(self, host: HostName) -> Deployment:
        """``GET /v1/models/{M}/deployments/{D}``: a model host's deployment and its status."""
        path = DEPLOYMENT_PATH.format(
            model=_quote(host.model_id), deployment=_quote(host.deployment_id)
        )
        answer = self._get(path, host.workload)
        record = answer if isinstance(answer, dict) else {}
        return Deployment(_optional_text(record.get("id")), _optional_text(record.get("status")))

    def interactive_sessions(self, project_id: str, job_id: str) -> list[InteractiveSession]:
        """``GET .../auth_codes`` (docs/baseten-protocol.md#session-auth-codes-endpoint)."""
        path = AUTH_CODES_PATH.format(project=_quote(project_id), job=_quote(job_id))
        answer = self._get(path, f"training job {job_id}")
        return [_session(entry) for entry in self._records(answer, "auth_codes", "the sessions")]

    def update_session(
        self, project_id: str, job_id: str, session_id: str, changes: dict[str, Any]
    ) -> str | None:
        """``PATCH .../interactive_sessions/{S}``; the API's own summary of the change."""
        path = SESSION_PATH.format(
            project=_quote(project_id), job=_quote(job_id), session=_quote(session_id)
        )
        answer = self._patch(path, changes, f"interactive session {session_id} of job {job_id}")
        return _optional_text(answer.get("message")) if isinstance(answer, dict) else None

    def update_job_session(
        self, project_id: str, job_id: str, changes: dict[str, Any]
    ) -> str | None:
        """``PATCH .../interactive_session``: the job's session configuration, what truss's
        ``train update_session`` calls
        (docs/baseten-protocol.md#changing-the-session-trigger-or-timeout)."""
        path = JOB_SESSION_PATH.format(project=_quote(project_id), job=_quote(job_id))
        answer = self._patch(path, changes, f"the interactive session of job {job_id}")
        return _optional_text(answer.get("message")) if isinstance(answer, dict) else None

    def _records(self, answer: Any, field: str, what: str) -> list[dict[str, Any]]:
        """The objects listed under ``field`` of an answer (or the answer itself, a bare
        list); ApiError when there is no such list."""
        listed = answer.get(field) if isinstance(answer, dict) else answer
        if not isinstance(listed, list):
            raise ApiError(
                f"the API at {self.base_url} answered {what} without {field}",
                hint="the API may have changed; update sshsetup, or report this",
            )
        return [record for record in listed if isinstance(record, dict)]

    def _post(self, path: str, body: dict[str, Any], target: str) -> Any:
        return self._send("POST", path, body, target)

    def _get(self, path: str, target: str) -> Any:
        return self._send("GET", path, None, target)

    def _patch(self, path: str, body: dict[str, Any], target: str) -> Any:
        return self._send("PATCH", path, body, target)

    def _send(self, method: str, path: str, body: dict[str, Any] | None, target: str) -> Any:
        """One request's JSON answer; ``target`` names what it is about, for the messages."""
        return http.parse_json(self._reply(method, path, body, target), self._where)

    def _reply(
        self, method: str, path: str, body: dict[str, Any] | None, target: str
    ) -> http.Reply:
        """The API's successful answer; every other one becomes its ApiError."""
        headers = {"X-Client-Version": self.client_version}
        if body is not None:
            headers["Content-Type"] = "application/json"
        reply = http.send(
            method,
            self.base_url + path,
            authorization=self._authorization,
            deadline=self.deadline or http.Deadline(self.timeout),
            body=None if body is None else json.dumps(body).encode(),
            headers=headers,
        )
        if 300 <= reply.status < 400:
            raise self._redirect_error(reply)
        if not 200 <= reply.status < 300:
            raise self._http_error(reply, target)
        return reply

    @property
    def _where(self) -> str:
        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url

    def _redirect_error(self, reply: http.Reply) -> ApiError:
        target = http.redact(http.public_location(reply.location or "(nowhere)"), self.secrets)
        return ApiError(
            f"the API at {self.base_url} answered HTTP {reply.status}, redirecting to {target}; "
            "sshsetup never follows a redirect, so your credentials went nowhere else",
            hint=f"if the API has moved, point remote {self.remote!r} at its new address: "
            f"`sshsetup remote set-url {self.remote} URL`",
        )

    def _http_error(self, reply: http.Reply, target: str) -> HttpError:
        code = reply.status
        said = http.error_message(reply, self.secrets)
        detail = f"HTTP {code}: {said}"
        if code == 401:
            return HttpError(
                f"the Baseten API at {self.base_url} rejected {self._credential.source.described} "
                f"from {self._credential.source.where} ({detail})",
                self._credential.relogin_hint,
                code,
                said,
            )
        if code == 403:
            return HttpError(
                f"the Baseten API at {self.base_url} refused access to {target} ({detail})",
                "SSH sessions must be enabled for your Baseten workspace (Baseten support "
                "turns them on); else " + self._credential.relogin_hint,
                code,
                said,
            )
        if code == 404:
            return HttpError(
                f"{target} was not found or is not running ({detail})",
                "check the ids in the host name and that the workload is running with SSH enabled",
                code,
                said,
            )
        if code >= 500:
            return HttpError(
                f"the Baseten API at {self.base_url} failed ({detail})",
                "a server-side problem: try again in a minute",
                code,
                said,
            )
        return HttpError(
            f"the Baseten API at {self.base_url} refused the request for {target} ({detail})",
            "if it names an outdated client, update sshsetup",
            code,
            said,
        )


def _quote(value: str | None) -> str:
    return urllib.parse.quote(value or "", safe="")


def _optional_text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _session(entry: dict[str, Any]) -> InteractiveSession:
    return InteractiveSession(
        session_id=_optional_text(entry.get("session_id")),
        replica_id=_optional_text(entry.get("replica_id")),
        trigger=_optional_text(entry.get("trigger")),
        tunnel_name=_optional_text(entry.get("tunnel_name")),
        auth_code=_optional_text(entry.get("auth_code")),
        auth_url=_optional_text(entry.get("auth_url")),
        generated_at=_optional_text(entry.get("generated_at")),
        expires_at=_optional_text(entry.get("expires_at")),
        working_directory=_optional_text(entry.get("working_directory")),
    )
