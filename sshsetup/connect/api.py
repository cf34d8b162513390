"""The client of Baseten's SSH signing endpoints (docs/baseten-protocol.md#endpoints), on urllib.

Every failure becomes an ApiError or NetworkError naming its cause (never the API key):
401/403, 404, 5xx, other HTTP errors, timeouts, TLS verification, refused connections.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
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
from sshsetup.connect.environment import API_TIMEOUT_ENV
from sshsetup.errors import ApiError, BadInput, NetworkError

DEFAULT_TIMEOUT_SECONDS = 30.0
_MAX_MESSAGE = 300
_TLS_HINT = (
    "Python could not verify the API's TLS certificate: point SSL_CERT_FILE at a CA bundle "
    "(e.g. the file `python -m certifi` prints), or install your system's CA certificates"
)


@dataclass(frozen=True)
class SignedCertificate:
    ssh_certificate: str
    jwt: str
    proxy_address: str


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
        self, base_url: str, api_key: str, remote: str, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.remote = remote
        self.timeout = timeout

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
        answer = self._post(path, body, host)
        fields = {}
        for name in ("ssh_certificate", "jwt", "proxy_address"):
            value = answer.get(name) if isinstance(answer, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise ApiError(
                    f"the signing API at {self.base_url} answered without {name!r}",
                    hint="the API may have changed; update sshsetup, or report this",
                )
            fields[name] = value.strip()
        return SignedCertificate(**fields)

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

    def _post(self, path: str, body: dict[str, Any], host: HostName) -> Any:
        url = self.base_url + path
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Api-Key {self._api_key}",
                "Content-Type": "application/json",
                "X-Client-Version": __version__,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, host) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise self._network_error(exc) from None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(
                f"the API at {url} answered with something that is not JSON",
                hint="check the remote's API URL (`sshsetup login --remote NAME`) and "
                "BASETEN_BASE_URL",
            ) from None

    def _http_error(self, exc: urllib.error.HTTPError, host: HostName) -> ApiError:
        code = exc.code
        detail = f"HTTP {code}: {_error_message(exc)}"
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

    def _network_error(self, exc: BaseException) -> NetworkError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        where = urllib.parse.urlsplit(self.base_url).netloc or self.base_url
        if isinstance(reason, ssl.SSLCertVerificationError):
            return NetworkError(
                f"TLS verification of the API at {where} failed "
                f"({reason.verify_message or reason})",
                hint=_TLS_HINT,
            )
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return NetworkError(
                f"the API at {where} did not answer within {self.timeout:g} s",
                hint=f"check your network, or allow longer with {API_TIMEOUT_ENV}=<seconds>",
            )
        if isinstance(reason, ConnectionRefusedError):
            return NetworkError(
                f"the API at {where} refused the connection",
                hint="check the remote's API URL and BASETEN_BASE_URL; is the service up?",
            )
        if isinstance(reason, ssl.SSLError):
            return NetworkError(
                f"TLS with the API at {where} failed ({reason})",
                hint=_TLS_HINT,
            )
        text = getattr(reason, "strerror", None) or str(reason)
        return NetworkError(
            f"cannot reach the API at {where} ({text})",
            hint="check your network connection and the remote's API URL",
        )


def _quote(value: str | None) -> str:
    return urllib.parse.quote(value or "", safe="")


def _error_message(exc: urllib.error.HTTPError) -> str:
    """The API's own words (JSON error/detail/message, or a list's first item)."""
    try:
        body = json.loads(exc.read() or b"null")
    except (ValueError, OSError):
        body = None
    message: Any = None
    if isinstance(body, dict):
        message = body.get("error") or body.get("detail") or body.get("message")
    elif isinstance(body, list) and body:
        message = body[0]
    text = str(message) if message else str(exc.reason or "no details")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."
