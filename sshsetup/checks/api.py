"""``api.reachable`` and ``api.credentials``: the API the host's remote uses answers, and it
accepts the credential, with one cheap authenticated call that signs nothing
(docs/baseten-protocol.md#checking-a-credential). Where the request stopped is told apart
(DNS, TCP, TLS, timeout); a refused credential names where it was found; no secret is shown.
"""

from __future__ import annotations

import time

from sshsetup.baseten import USERS_ME_PATH
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect import http
from sshsetup.connect.api import HttpError, SigningClient
from sshsetup.errors import ApiError, SshsetupError

_LATER = (429, 500, 502, 503, 504)
_STAGES = {  # where the request stopped (http.TransportError.stage), as the line starts
    "dns": "DNS",
    "tcp": "TCP",
    "tls": "TLS",
    "timeout": "timeout",
    "closed": "connection closed",
    "url": "API URL",
}


def api_checks(
    base_url: str, client: SigningClient | None, deadline: http.Deadline
) -> list[CheckResult]:
    """``client`` None (no credential): only whether the API answers, asked without one."""
    started = time.monotonic()
    if client is None:
        try:
            reply = http.send(
                "GET", base_url + USERS_ME_PATH, authorization=None, deadline=deadline
            )
        except http.TransportError as exc:
            return [_unreachable(base_url, exc.message, exc.hint, exc.stage)]
        except SshsetupError as exc:  # an API URL that cannot be used, an answer not HTTP
            return [_unreachable(base_url, exc.message, exc.hint, "url")]
        return [_answered(base_url, reply.status, started)]
    try:
        user = client.user()
    except http.TransportError as exc:
        return [_unreachable(base_url, exc.message, exc.hint, exc.stage)]
    except HttpError as exc:
        return [_answered(base_url, exc.status, started), _refused(client, exc)]
    except ApiError as exc:  # a redirect, an answer that is not Baseten's API
        return [
            _answered(base_url, None, started),
            CheckResult(CheckId.API_CREDENTIALS, Status.FAIL, exc.message, exc.hint),
        ]
    except SshsetupError as exc:  # an API URL that cannot be used
        return [_unreachable(base_url, exc.message, exc.hint, "url")]
    source = client.credential_source
    who = ", ".join(part for part in (user.email, user.workspace_name) if part)
    details = {
        "source": source.source,
        "user": user.user_id,
        "email": user.email,
        "workspace": user.workspace_name,
    }
    accepted = CheckResult(
        CheckId.API_CREDENTIALS,
        Status.PASS,
        f"the API accepts {source.described} from {source.where}" + (f" ({who})" if who else ""),
        details=details,
    )
    return [_answered(base_url, 200, started), accepted]


def _answered(base_url: str, status: int | None, started: float) -> CheckResult:
    elapsed = (time.monotonic() - started) * 1000
    said = f"HTTP {status}" if status is not None else "an answer"
    return CheckResult(
        CheckId.API_REACHABLE,
        Status.PASS,
        f"the API at {base_url} answers ({said} in {elapsed:.0f} ms)",
        details={"url": base_url, "status": status, "milliseconds": round(elapsed)},
    )


def _unreachable(base_url: str, message: str, hint: str, stage: str) -> CheckResult:
    return CheckResult(
        CheckId.API_REACHABLE,
        Status.FAIL,
        f"{_STAGES.get(stage, stage)}: {message}: no certificate can be fetched",
        hint,
        {"url": base_url, "stage": stage},
    )


def _refused(client: SigningClient, exc: HttpError) -> CheckResult:
    source = client.credential_source
    details = {"source": source.source, "status": exc.status}
    if exc.status == 401:
        return CheckResult(CheckId.API_CREDENTIALS, Status.FAIL, exc.message, exc.hint, details)
    if exc.status == 403:
        return CheckResult(
            CheckId.API_CREDENTIALS,
            Status.FAIL,
            f"the API at {client.base_url} refused {source.described} from {source.where} "
            f"(HTTP 403: {exc.detail}): a team key with inference-only or metrics-only access "
            "cannot use the management API",
            f"use a personal API key or a full-access team key: {client.relogin_hint}",
            details,
        )
    if exc.status == 404 or exc.status in _LATER:
        why = (
            f"has no {USERS_ME_PATH}"
            if exc.status == 404
            else f"could not answer now (HTTP {exc.status}: {exc.detail})"
        )
        return CheckResult(
            CheckId.API_CREDENTIALS,
            Status.WARN,
            f"the API at {client.base_url} {why}, so {source.described} from {source.where} "
            "could not be checked; ssh tries it when it fetches a certificate",
            "try again in a minute" if exc.status != 404 else None,
            details,
        )
    return CheckResult(CheckId.API_CREDENTIALS, Status.FAIL, exc.message, exc.hint, details)
