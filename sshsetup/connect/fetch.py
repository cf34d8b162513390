"""Fetch a host's certificate and session from the signing API, and cache them.

One host's fetch runs under that host's lock, and the freshness check is repeated inside
it: when two connections to the same host start together, the second finds the first
one's certificate and signs nothing. The API's answer is checked before anything is
written (``validation`` for the certificate, ``proxy_policy`` for the proxy address); the
certificate and the session are then each written atomically, 0600, never through a link,
in private directories (``private_files``). The API calls made under the lock share one
deadline, so the lock is never held much past ``SSHSETUP_API_TIMEOUT``. Used by the Match hook
and the ProxyCommand (when their fast path finds nothing usable) and by
``sshsetup cert fetch|refresh``.

An environment host first asks which deployment its environment serves (one round-trip,
every time: model_environment), and reuses the cache only for that deployment. A refused
training host is explained by the job's state (job_state), from the search the fetch made or,
on that failure path only, a search made then.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import ENVIRONMENT, TRAINING, HostName
from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.certfile import (
    Certificate,
    CertificateError,
    parse_certificate,
    public_key_blob,
)
from sshsetup.connect.environment import home_directory
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.installation import Installation
from sshsetup.connect.private_files import ensure_private_dir, read_private
from sshsetup.connect.session import Session, host_problem, read_session, session_problem
from sshsetup.errors import BadInput, InternalError, SshsetupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sshsetup.connect.api import SigningClient, TrainingJob

_LOCK_SLACK_SECONDS = 15.0
_LATEST_TIMESTAMP = 2.0**40  # far beyond any token's life; bounds what a hostile JWT claims


@dataclass(frozen=True)
class FetchOutcome:
    host: str
    fetched: bool  # False: the cached certificate and session were still good
    reason: str | None  # why it was fetched (None when not, or when forced)
    certificate: Certificate
    deployment: str | None = None  # an environment host's: the deployment it reaches


def ensure_host(
    installation: Installation,
    host: HostName,
    env: Mapping[str, str],
    *,
    force: bool = False,
) -> FetchOutcome:
    """Make sure a usable certificate and session for ``host`` are cached; fetch if not."""
    from sshsetup.connect.api import timeout_from_env
    from sshsetup.connect.http import Deadline

    timeout = timeout_from_env(env)
    ensure_private_dirs(installation)
    client = None
    deployment = None
    if host.kind == ENVIRONMENT:
        client = client_for(installation, host.remote, host.api_prefix, env, timeout)
        deployment = _deployment_now(installation, host, client)
    lock = Path(installation.lock_file(host.cache_key))
    with file_lock(lock, timeout=timeout + _LOCK_SLACK_SECONDS):
        now = time.time()
        reason = None if force else host_problem(installation, host.cache_key, now, deployment)
        if not force and reason is None:
            certificate = read_certificate(installation, host.cache_key)
            return FetchOutcome(host.name, False, None, certificate, deployment)
        if client is None:
            client = client_for(installation, host.remote, host.api_prefix, env, timeout)
        client.deadline = Deadline(timeout)  # every call under the lock, together
        certificate = _fetch(installation, host, client, deployment)
        return FetchOutcome(host.name, True, reason, certificate, deployment)


def client_for(
    installation: Installation,
    host_remote: str | None,
    api_prefix: str | None,
    env: Mapping[str, str],
    timeout: float,
) -> SigningClient:
    """A client of the API for the remote a host names (else the default remote), with the
    first credential the lookup finds; NotLoggedIn when there is none."""
    from sshsetup.connect.api import SigningClient, client_version_from_env
    from sshsetup.connect.credentials import CredentialFiles, look_up, missing_credential
    from sshsetup.connect.remotes import api_base_url, remote_for_host

    settings_file = Path(installation.settings_file)
    remote = remote_for_host(host_remote, settings_file)
    files = CredentialFiles(
        installation.plaintext_keys_file, home_directory(env), installation.keyring_site
    )
    credential, source = look_up(remote, files, env)
    if credential is None:
        raise missing_credential(source)
    base_url = api_base_url(remote, api_prefix, settings_file, env, credential.api_base_url)
    return SigningClient(base_url, credential, remote, timeout, client_version_from_env(env))


def find_job(client: SigningClient, job_id: str) -> TrainingJob:
    """The job search's answer; ApiError when there is no such job."""
    from sshsetup.connect.job_state import not_found

    job = client.find_job(job_id)
    if job is None:
        raise not_found(job_id, f"{client.base_url} (remote {client.remote!r})")
    return job


def explain_refusal(
    installation: Installation, host: HostName, env: Mapping[str, str], refusal: SshsetupError
) -> SshsetupError:
    """The proxy's refusal of ``host``, said in terms of the workload: a training job's
    state is asked for now (the failure path; a connection that works never pays for it)."""
    from sshsetup.connect.api import timeout_from_env
    from sshsetup.connect.job_state import refused

    question = ": is the workload running with SSH enabled?"
    if host.kind != TRAINING:
        refusal.message += question
        refusal.hint = (
            f"check that {host.workload} is active and was deployed with SSH enabled; "
            f"`sshsetup cert fetch {host.name}` gets a fresh session"
        )
        return refusal
    try:
        client = client_for(installation, host.remote, host.api_prefix, env, timeout_from_env(env))
        job = find_job(client, host.job_id or "")
    except SshsetupError as exc:
        refusal.message += f"{question} (the job's state is unknown: {exc.message})"
        return refusal
    return refused(job, refusal.message)


def _deployment_now(installation: Installation, host: HostName, client: SigningClient) -> str:
    """The deployment the environment serves now. When that cannot be known, the cached
    session goes: the ProxyCommand must not reach a deployment the environment has left."""
    from sshsetup.connect.model_environment import current_deployment

    try:
        target = current_deployment(client, host)
    except SshsetupError:
        forget_session(installation, host)
        raise
    assert target.deployment_id is not None  # current_deployment says why when it is not
    return target.deployment_id


def forget_session(installation: Installation, host: HostName) -> None:
    """Delete the host's cached session (the next connection fetches a new one)."""
    import contextlib
    import os

    with contextlib.suppress(OSError):
        os.unlink(installation.session_file(host.cache_key))


def ensure_session(installation: Installation, host: HostName, env: Mapping[str, str]) -> Session:
    """The cached session for the ProxyCommand, fetched first if missing or expiring."""
    if session_problem(installation, host.cache_key, time.time()) is not None:
        ensure_host(installation, host, env)
    try:
        session = read_session(installation.session_file(host.cache_key))
    except (OSError, ValueError) as exc:
        session = None
        detail = str(exc)
    else:
        detail = "missing"
    if session is None:
        raise InternalError(
            f"the session for {host.name} is unusable after fetching it ({detail})",
            hint=f"run `sshsetup cert fetch {host.name}` to see the error",
        )
    return session


def ensure_private_dirs(installation: Installation) -> None:
    """The directories a fetch writes to (created 0700) or reads settings from, checked."""
    for directory in (
        installation.state_dir,
        installation.session_dir,
        installation.key_dir,
        installation.cert_dir,
    ):
        ensure_private_dir(directory)
    ensure_private_dir(installation.settings_dir, create=False)


def read_certificate(installation: Installation, cache_key: str) -> Certificate:
    path = installation.cert_file(cache_key)
    try:
        return parse_certificate(read_private(path))
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    except CertificateError as exc:
        raise BadInput(
            f"{path}: {exc}", hint=f"run `sshsetup cert fetch {cache_key}` to replace it"
        ) from None


def _fetch(
    installation: Installation, host: HostName, client: SigningClient, deployment: str | None
) -> Certificate:
    from sshsetup.connect.api import HttpError
    from sshsetup.connect.job_state import refused
    from sshsetup.connect.proxy_policy import check_proxy_address
    from sshsetup.connect.remotes import allowed_proxy_hosts
    from sshsetup.connect.validation import checked_certificate

    public_key_text, public_key = _public_key(installation)
    project_file = Path(installation.project_file(host.cache_key))
    project = None
    job = None
    if host.kind == TRAINING:
        project = _read_project(project_file)
        if project is None:
            job = find_job(client, host.job_id or "")
            project = job.project_id
    try:
        signed = client.sign(host, public_key_text, project, deployment)
    except HttpError as exc:
        if host.kind != TRAINING or not exc.refusal:
            raise
        job = job or find_job(client, host.job_id or "")
        raise refused(
            job, f"Baseten refused to sign a certificate for it (HTTP {exc.status}: {exc.detail})"
        ) from None
    now = time.time()
    clock_offset = 0.0 if signed.server_date is None else now - signed.server_date
    secrets = (*client.secrets, signed.jwt)
    certificate = checked_certificate(
        signed.ssh_certificate, public_key, host, now - clock_offset, client.base_url, secrets
    )
    allowed = allowed_proxy_hosts(client.remote, Path(installation.settings_file))
    check_proxy_address(signed.proxy_address, client.base_url, allowed, client.remote, secrets)
    session = Session(
        signed.jwt,
        signed.proxy_address,
        now,
        jwt_expiry(signed.jwt),
        deployment,
        clock_offset,
    )
    write_atomic(
        Path(installation.cert_file(host.cache_key)),
        (signed.ssh_certificate.strip() + "\n").encode(),
        new_file_mode=0o600,
        secret=True,
    )
    write_atomic(
        Path(installation.session_file(host.cache_key)),
        json.dumps(session.to_json(), indent=2).encode() + b"\n",
        new_file_mode=0o600,
        secret=True,
    )
    if project is not None and _read_project(project_file) != project:
        write_atomic(project_file, project.encode(), new_file_mode=0o600, secret=True)
    return certificate


def _read_project(path: Path) -> str | None:
    try:
        return read_private(str(path)).decode().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (unverified: only to know when to fetch a new one)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(binascii.a2b_base64(payload.replace("-", "+").replace("_", "/")))
    except (ValueError, binascii.Error, RecursionError):
        return None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        return None
    try:
        value = float(expires)
    except OverflowError:
        return None
    return value if 0 < value < _LATEST_TIMESTAMP else None  # never NaN or infinite


def _public_key(installation: Installation) -> tuple[str, bytes]:
    path = installation.public_key_file
    try:
        text = Path(path).read_text(encoding="ascii").strip()
        return text, public_key_blob(text)
    except FileNotFoundError:
        problem = "is missing"
    except (OSError, UnicodeDecodeError, CertificateError) as exc:
        problem = f"is unusable ({exc})"
    raise BadInput(
        f"the public key {path} {problem}", hint="run `sshsetup setup` to restore the key pair"
    )
