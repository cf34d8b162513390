"""The sandbox's signing API: Baseten's SSH endpoints on loopback
(docs/baseten-protocol.md#endpoints).

    POST  /v1/training_jobs/search                              {"job_id"} or {"statuses"}
    POST  /v1/training_projects/{P}/jobs/{J}/ssh/sign           {"public_key", "replica_id"}
    POST  /v1/models/{M}/deployments/{D}/ssh/sign               {"public_key"[, "replica_id"]}
    POST  /v1/models/{M}[/environments/{E}]/ssh/sign            (the same, later truss versions)
    GET   /v1/models/{M}/environments/{E}                       the deployment it serves
    GET   /v1/models                                            every model (added by a test)
    GET   /v1/models/{M}/deployments/{D}                        the deployment and its status
    GET   /v1/users/me                                          whose credential this is
    GET   /v1/training_projects/{P}/jobs/{J}                    the job and its state
    GET   /v1/training_projects/{P}/jobs/{J}/auth_codes         its interactive sessions
    PATCH /v1/training_projects/{P}/jobs/{J}/interactive_sessions/{S}
                                                   {"timeout_minutes", "trigger"}: one session
    PATCH /v1/training_projects/{P}/jobs/{J}/interactive_session   the same, the job's config

Every request needs `Authorization: Api-Key <key>` or `Authorization: Bearer <key or an access
token the controls issued>`; every error is JSON with an `error` field. What the workloads are
(a job's state, its sessions, an environment's deployment) is ``controls.workloads``; a training
job signs only while it runs, and nothing signs while ``controls.ssh_enabled`` is off.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from sshsetup.baseten import (
    AUTH_CODES_PATH,
    DEPLOYMENT_PATH,
    ENVIRONMENT_PATH,
    JOB_RUNNING,
    JOB_SESSION_PATH,
    MODEL,
    MODELS_PATH,
    SEARCH_JOBS_PATH,
    SESSION_PATH,
    SIGN_TRAINING_PATH,
    TRAINING,
    TRAINING_JOB_PATH,
    USERS_ME_PATH,
    workload_of,
)
from sshsetup.sandbox import jwt
from sshsetup.sandbox.ca import CertificateAuthority, InvalidPublicKey, parse_public_key
from sshsetup.sandbox.controls import LISTEN_BACKLOG, SHUTDOWN_POLL_SECONDS, SandboxControls
from sshsetup.sandbox.workloads import SessionRefused, project_of_job

MAX_BODY_BYTES = 64 * 1024
TRAINING_PRINCIPAL = workload_of(TRAINING).remote_user
MODEL_PRINCIPAL = workload_of(MODEL).remote_user
_SEGMENT = r"([^/]+)"
SANDBOX_USER = {
    "user_id": "sandbox-user",
    "email": "you@sandbox.invalid",
    "name": "Sandbox user",
    "workspace_name": "sandbox",
}


def _route(template: str) -> re.Pattern[str]:
    """A path template of ``sshsetup.baseten`` (``{name}`` segments) as a pattern."""
    return re.compile(re.sub(r"\{\w+\}", _SEGMENT, template))


POST, GET, PATCH = "POST", "GET", "PATCH"
# (name, method, path pattern)
ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("search", POST, _route(SEARCH_JOBS_PATH)),
    ("sign_training", POST, _route(SIGN_TRAINING_PATH)),
    # SIGN_MODEL_PATH, and the bare and environment forms later truss versions use.
    (
        "sign_model",
        POST,
        re.compile(rf"/v1/models/{_SEGMENT}(?:/(deployments|environments)/{_SEGMENT})?/ssh/sign"),
    ),
    ("environment", GET, _route(ENVIRONMENT_PATH)),
    ("models", GET, _route(MODELS_PATH)),
    ("deployment", GET, _route(DEPLOYMENT_PATH)),
    ("users_me", GET, _route(USERS_ME_PATH)),
    ("job", GET, _route(TRAINING_JOB_PATH)),
    ("auth_codes", GET, _route(AUTH_CODES_PATH)),
    ("update_session", PATCH, _route(SESSION_PATH)),
    ("update_job_session", PATCH, _route(JOB_SESSION_PATH)),
)


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SigningPolicy:
    """What the API needs to sign: the secrets, and where it sends clients."""

    api_key: str
    jwt_secret: bytes
    proxy_address: str
    extra_principals: Sequence[str]  # the local user, when sshd cannot log in baseten/app


@dataclass(frozen=True)
class Workload:
    """The target of one sign request, as the certificate and the JWT name it."""

    kind: str  # "training" or "model"
    key_id: str
    claims: dict[str, str]


class SigningApi:
    """A ThreadingHTTPServer on 127.0.0.1 that can be taken down and brought back up."""

    def __init__(
        self,
        ca: CertificateAuthority,
        controls: SandboxControls,
        policy: SigningPolicy,
        stopping: threading.Event,
    ) -> None:
        self.ca = ca
        self.controls = controls
        self.policy = policy
        self.stopping = stopping
        self.port = 0
        self._server: _ApiServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def up(self) -> None:
        """Listen (again, on the same port once it has one)."""
        if self._server is not None:
            return
        server = _ApiServer(("127.0.0.1", self.port), _Handler)
        server.api = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            daemon=True,
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening: clients get `connection refused` until `up()`."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()

    def sign(self, workload: Workload, public_key_text: str) -> dict[str, str]:
        try:
            public_key = parse_public_key(public_key_text)
        except InvalidPublicKey as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"invalid public_key: {exc}") from None
        principal = TRAINING_PRINCIPAL if workload.kind == "training" else MODEL_PRINCIPAL
        principals = [principal, *(p for p in self.policy.extra_principals if p != principal)]
        now = int(time.time())
        validity = self.controls.cert_validity_seconds
        certificate = self.ca.sign_user_certificate(
            public_key,
            key_id=workload.key_id,
            principals=principals,
            validity_seconds=validity,
            agent_forwarding=self.controls.agent_forwarding,
            now=now,
        )
        claims: dict[str, Any] = {
            "iss": "sshsetup-sandbox",
            "sub": workload.key_id,
            "workload": workload.kind,
            **workload.claims,
            "iat": now,
            "exp": now + validity,
        }
        return {
            "ssh_certificate": certificate,
            "jwt": jwt.encode(claims, self.policy.jwt_secret),
            "proxy_address": self.policy.proxy_address,
        }


class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG
    api: SigningApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-request is not worth a traceback on the console."""


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ApiError(HTTPStatus.BAD_REQUEST, f"`{name}` must be a non-empty string")
    return value


def _required_string(body: dict[str, Any], name: str) -> str:
    value = _optional_string(body, name)
    if value is None:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"missing `{name}`")
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _ApiServer
    server_version = "sshsetup-sandbox"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Quiet: the sandbox counts requests in its controls instead of logging them."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (bad request line, unsupported method) as JSON too."""
        self._reply(code, {"error": message or HTTPStatus(code).phrase})

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle(GET)

    def do_POST(self) -> None:  # noqa: N802
        self._handle(POST)

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle(PATCH)

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _handle(self, method: str) -> None:
        api = self.server.api
        path = urlsplit(self.path).path
        matching = [(name, verb, m) for name, verb, p in ROUTES if (m := p.fullmatch(path))]
        route = next(((name, m) for name, verb, m in matching if verb == method), None)
        api.controls.count(route[0] if route else "unknown")
        scheme = (self.headers.get("Authorization") or "").partition(" ")[0]
        api.controls.record_headers(self.headers.get("X-Client-Version"), scheme or None)
        try:
            # Read the body before any answer: closing with unread input makes the kernel
            # send a reset, and the client could lose the error response.
            raw_body = self._read_body()
            latency = api.controls.api_latency_seconds
            if latency > 0 and api.stopping.wait(latency):
                return
            forced = api.controls.take_forced_status()
            if forced is not None:
                phrase = HTTPStatus(forced).phrase
                raise ApiError(HTTPStatus(forced), f"forced by the sandbox: {phrase}")
            self._authenticate(api)
            if route is None and matching:
                verbs = " or ".join(sorted({verb for _, verb, _ in matching}))
                raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, f"use {verbs} for {path}")
            if route is None:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
            name, match = route
            segments = [unquote(segment) for segment in match.groups() if segment is not None]
            body = _json_object(raw_body) if method != GET else {}
            self._reply(HTTPStatus.OK, _ENDPOINTS[name](api, segments, body))
        except ApiError as exc:
            self._reply(exc.status, {"error": exc.message})

    def _authenticate(self, api: SigningApi) -> None:
        """``Api-Key <key>``, or ``Bearer`` with the key or an issued access token (the
        published API takes both schemes, docs/baseten-protocol.md#api-key-versus-oauth-bearer)."""
        header = self.headers.get("Authorization")
        if header is None:
            raise ApiError(HTTPStatus.UNAUTHORIZED, "missing Authorization header (Api-Key <key>)")
        scheme, _, presented = header.partition(" ")
        presented = presented.strip()
        is_key = hmac.compare_digest(presented.encode(), api.policy.api_key.encode())
        if scheme.lower() == "api-key" and is_key:
            return
        if scheme.lower() == "bearer" and (is_key or api.controls.accepts_access_token(presented)):
            return
        raise ApiError(HTTPStatus.UNAUTHORIZED, "invalid API key or access token")

    def _read_body(self) -> bytes:
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        try:
            length = int(declared)
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Content-Length is not a number") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)


def _json_object(raw_body: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
    return body


def _search(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    job_id = _optional_string(body, "job_id")
    if job_id is None:
        statuses = body.get("statuses")
        if statuses is not None and not (
            isinstance(statuses, list) and all(isinstance(s, str) for s in statuses)
        ):
            raise ApiError(HTTPStatus.BAD_REQUEST, "`statuses` must be a list of strings")
        return {"training_jobs": api.controls.workloads.search(statuses)}
    job = api.controls.workloads.job(job_id)
    return {"training_jobs": [] if job is None else [job]}


def _models(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    return {"models": api.controls.workloads.models()}


def _sign_training(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    project_id, job_id = segments
    _running_job(api, project_id, job_id, "sign a certificate for")
    _ssh_enabled(api)
    public_key = _required_string(body, "public_key")
    replica_id = _required_string(body, "replica_id")
    workload = Workload(
        kind="training",
        key_id=f"training-job-{job_id}-{replica_id}",
        claims={"project_id": project_id, "job_id": job_id, "replica_id": replica_id},
    )
    return api.sign(workload, public_key)


def _sign_model(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    model_id, *scope = segments  # [] or ["deployments", D] or ["environments", E]
    _ssh_enabled(api)
    public_key = _required_string(body, "public_key")
    replica_id = _optional_string(body, "replica_id")
    claims = {"model_id": model_id}
    key_id = f"model-{model_id}"
    if scope:
        kind, scope_id = scope
        claims["deployment_id" if kind == "deployments" else "environment"] = scope_id
        key_id += f"-{scope_id}"
    if replica_id is not None:
        claims["replica_id"] = replica_id
        key_id += f"-{replica_id}"
    return api.sign(Workload(kind="model", key_id=key_id, claims=claims), public_key)


def _environment(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    model_id, environment = segments
    found = api.controls.workloads.environment(model_id, environment)
    return _found(found, f"environment {environment} not found for model {model_id}")


def _deployment(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    model_id, deployment_id = segments
    found = api.controls.workloads.deployment(model_id, deployment_id)
    return _found(found, f"deployment {deployment_id} not found for model {model_id}")


def _found(found: dict[str, Any] | None, missing: str) -> dict[str, Any]:
    if found is None:
        raise ApiError(HTTPStatus.NOT_FOUND, missing)
    return found


def _users_me(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    return dict(SANDBOX_USER)


def _job(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    project_id, job_id = segments
    job = _known_job(api, project_id, job_id)
    return {"training_job": job, "training_project": job["training_project"]}


def _auth_codes(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    project_id, job_id = segments
    _known_job(api, project_id, job_id)
    return {"auth_codes": api.controls.workloads.auth_codes(job_id)}


def _update_session(api: SigningApi, segments: list[str], body: dict[str, Any]) -> dict[str, Any]:
    project_id, job_id, session_id = segments
    _known_job(api, project_id, job_id)
    try:
        return api.controls.workloads.update_session(job_id, session_id, body)
    except KeyError:
        raise ApiError(
            HTTPStatus.NOT_FOUND, f"interactive session {session_id} not found"
        ) from None
    except SessionRefused as exc:
        raise ApiError(HTTPStatus.BAD_REQUEST, str(exc)) from None


def _update_job_session(
    api: SigningApi, segments: list[str], body: dict[str, Any]
) -> dict[str, Any]:
    project_id, job_id = segments
    _known_job(api, project_id, job_id)
    try:
        return api.controls.workloads.update_job_session(job_id, body)
    except SessionRefused as exc:
        raise ApiError(HTTPStatus.BAD_REQUEST, str(exc)) from None


def _known_job(api: SigningApi, project_id: str, job_id: str) -> dict[str, Any]:
    job = api.controls.workloads.job(job_id)
    if job is None or project_id != project_of_job(job_id):
        raise ApiError(
            HTTPStatus.NOT_FOUND, f"training job {job_id} not found in project {project_id}"
        )
    return job


def _running_job(api: SigningApi, project_id: str, job_id: str, action: str) -> None:
    status = _known_job(api, project_id, job_id)["current_status"]
    if status != JOB_RUNNING:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"cannot {action} training job {job_id}: it is {status}"
        )


def _ssh_enabled(api: SigningApi) -> None:
    if not api.controls.ssh_enabled:
        raise ApiError(HTTPStatus.FORBIDDEN, "SSH access is not enabled for this organization")


_ENDPOINTS: dict[str, Callable[[SigningApi, list[str], dict[str, Any]], dict[str, Any]]] = {
    "search": _search,
    "sign_training": _sign_training,
    "sign_model": _sign_model,
    "environment": _environment,
    "models": _models,
    "deployment": _deployment,
    "users_me": _users_me,
    "job": _job,
    "auth_codes": _auth_codes,
    "update_session": _update_session,
    "update_job_session": _update_job_session,
}
