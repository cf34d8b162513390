"""The client of Baseten's SSH signing endpoints (docs/baseten-protocol.md#endpoints).

Requests go through ``connect.http`` (no redirects, one deadline, bounded answers, redacted
error text); every failure becomes an ApiError or NetworkError naming its cause, never a
credential: 401/403, 404, 5xx, other HTTP errors, a redirect, a malformed answer, timeouts,
TLS verification, refused connections. All requests of one client share one deadline
(``SSHSETUP_API_TIMEOUT``), so a fetch holds its host's lock no longer than that.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sshsetup import __version__
from sshsetup.baseten import (
    SEARCH_JOBS_PATH,
    SIGN_MODEL_PATH,
    SIGN_TRAINING_PATH,
    TRAINING,
    HostName,
)
from sshsetup.connect import http
from sshsetup.connect.environment import API_TIMEOUT_ENV
from sshsetup.errors import ApiError, BadInput

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SignedCertificate:
    ssh_certificate: str
    jwt: str
    proxy_address: str
    server_date: float | None = None  # the signer's clock when it answered (its Date header)


def api_key_authorization(api_key: str) -> str:
    """The Authorization header value for a Baseten API key
    (docs/baseten-protocol.md#api-key-versus-oauth-bearer)."""
    return f"Api-Key {api_key}"


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


class SigningClient:
    def __init__(
        self,
        base_url: str,
        authorization: str,
        remote: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        """``authorization``: the whole Authorization header value (``Api-Key …``,
        ``Bearer …``), opaque here. ``timeout``: for all this client's requests together."""
        self.base_url = base_url.rstrip("/")
        self._authorization = authorization
        self.remote = remote
        self.deadline = http.Deadline(timeout)

    def sign(
        self, host: HostName, public_key: str, training_project: str | None = None
    ) -> SignedCertificate:
        """Have the workload behind ``host`` sign ``public_key`` (the .pub line).

        ``training_project``: the job's project when already known (a job never changes
        project), which saves the search round-trip."""
        if host.kind == TRAINING:
            project_id = training_project or self.training_project(host)
            path = SIGN_TRAINING_PATH.format(project=_quote(project_id), job=_quote(host.job_id))
            body: dict[str, Any] = {"public_key": public_key, "replica_id": host.node}
        else:
            path = SIGN_MODEL_PATH.format(
                model=_quote(host.model_id), deployment=_quote(host.deployment_id)
            )
            body = {"public_key": public_key}
            if host.replica:
                body["replica_id"] = host.replica
        reply = self._reply("POST", path, body, host)
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

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a message: the credential, with and without its scheme."""
        return (self._authorization, self._authorization.partition(" ")[2])

    def training_project(self, host: HostName) -> str:
        answer = self._post(SEARCH_JOBS_PATH, {"job_id": host.job_id}, host)
        jobs = answer if isinstance(answer, list) else None
        if isinstance(answer, dict):
            jobs = answer.get("training_jobs")
        if not jobs:
            raise ApiError(
                f"training job {host.job_id} was not found at {self.base_url} "
                f"(remote {self.remote!r})",
                hint="check the job id in the host name, and that the job belongs to this "
                "remote's account",
            )
        try:
            project_id = jobs[0]["training_project"]["id"]
        except (KeyError, IndexError, TypeError):
            project_id = None
        if not isinstance(project_id, (str, int)) or project_id == "":
            raise ApiError(
                f"the API at {self.base_url} answered the job search without a project id",
                hint="the API may have changed; update sshsetup, or report this",
            )
        return str(project_id)

    @property
    def _where(self) -> str:
        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url

    def _post(self, path: str, body: dict[str, Any], host: HostName) -> Any:
        return http.parse_json(self._reply("POST", path, body, host), self._where)

    def _reply(
        self, method: str, path: str, body: dict[str, Any] | None, host: HostName
    ) -> http.Reply:
        """The API's successful answer; every other one becomes its ApiError."""
        reply = http.send(
            method,
            self.base_url + path,
            authorization=self._authorization,
            deadline=self.deadline,
            body=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"sshsetup/{__version__}",
                "X-Client-Version": __version__,
            },
        )
        if 300 <= reply.status < 400:
            raise self._redirect_error(reply)
        if reply.status >= 400 or reply.status < 200:
            raise self._http_error(reply, host)
        return reply

    def _redirect_error(self, reply: http.Reply) -> ApiError:
        target = http.redact(http.public_location(reply.location or "(nowhere)"), self.secrets)
        return ApiError(
            f"the API at {self.base_url} answered HTTP {reply.status}, redirecting to {target}; "
            "sshsetup never follows a redirect, so your credentials went nowhere else",
            hint=f"if the API has moved, point remote {self.remote!r} at its new address: "
            f"`sshsetup remote set-url {self.remote} URL`",
        )

    def _http_error(self, reply: http.Reply, host: HostName) -> ApiError:
        code = reply.status
        detail = f"HTTP {code}: {http.error_message(reply, self.secrets)}"
        if code in (401, 403):
            return ApiError(
                f"the Baseten API at {self.base_url} rejected the API key of remote "
                f"{self.remote!r} ({detail})",
                hint=f"run `sshsetup login --remote {self.remote}` with a valid API key",
            )
        if code == 404:
            return ApiError(
                f"{host.workload} was not found or is not running ({detail})",
                hint="check the ids in the host name and that the workload is running "
                "with SSH enabled",
            )
        if code >= 500:
            return ApiError(
                f"the Baseten API at {self.base_url} failed ({detail})",
                hint="a server-side problem: try again in a minute",
            )
        return ApiError(
            f"the Baseten API at {self.base_url} refused the request ({detail})",
            hint="if it names an outdated client, update sshsetup",
        )


def _quote(value: str | None) -> str:
    return urllib.parse.quote(value or "", safe="")
