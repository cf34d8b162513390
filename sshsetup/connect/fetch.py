"""Fetch a host's certificate and session from the signing API, and cache them.

One host's fetch runs under that host's lock, and the freshness check is repeated inside
it: when two connections to the same host start together, the second finds the first
one's certificate and signs nothing. The certificate and the session are each written
atomically, 0600, in 0700 directories. Used by the Match hook and the ProxyCommand (when
their fast path finds nothing usable) and by ``sshsetup cert fetch|refresh``.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import API_KEY_ENV, TRAINING, HostName
from sshsetup.connect.atomic_write import ensure_private_dir, write_atomic
from sshsetup.connect.certfile import (
    Certificate,
    CertificateError,
    parse_certificate,
    public_key_blob,
)
from sshsetup.connect.environment import home_directory
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.installation import Installation
from sshsetup.connect.session import Session, host_problem, read_session, session_problem
from sshsetup.errors import ApiError, BadInput, InternalError, NotLoggedIn

_LOCK_SLACK_SECONDS = 15.0


@dataclass(frozen=True)
class FetchOutcome:
    host: str
    fetched: bool  # False: the cached certificate and session were still good
    reason: str | None  # why it was fetched (None when not, or when forced)
    certificate: Certificate


def ensure_host(
    installation: Installation,
    host: HostName,
    env: Mapping[str, str],
    *,
    force: bool = False,
) -> FetchOutcome:
    """Make sure a usable certificate and session for ``host`` are cached; fetch if not."""
    from sshsetup.connect.api import timeout_from_env

    timeout = timeout_from_env(env)
    ensure_private_dir(Path(installation.session_dir))
    lock = Path(installation.lock_file(host.cache_key))
    with file_lock(lock, timeout=timeout + _LOCK_SLACK_SECONDS):
        reason = None if force else host_problem(installation, host.cache_key, time.time())
        if not force and reason is None:
            certificate = read_certificate(installation, host.cache_key)
            return FetchOutcome(host.name, False, None, certificate)
        certificate = _fetch(installation, host, env, timeout)
        return FetchOutcome(host.name, True, reason, certificate)


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


def read_certificate(installation: Installation, cache_key: str) -> Certificate:
    path = installation.cert_file(cache_key)
    try:
        return parse_certificate(Path(path).read_bytes())
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    except CertificateError as exc:
        raise BadInput(
            f"{path}: {exc}", hint=f"run `sshsetup cert fetch {cache_key}` to replace it"
        ) from None


def _fetch(
    installation: Installation, host: HostName, env: Mapping[str, str], timeout: float
) -> Certificate:
    from sshsetup.connect.api import SigningClient
    from sshsetup.connect.credentials import CredentialFiles, look_up
    from sshsetup.connect.remotes import api_base_url, remote_for_host

    public_key_text, public_key = _public_key(installation)
    settings_file = Path(installation.settings_file)
    remote = remote_for_host(host.remote, settings_file)
    files = CredentialFiles(
        installation.plaintext_keys_file, home_directory(env), installation.keyring_site
    )
    api_key, source = look_up(remote, files, env)
    if not api_key:
        raise no_api_key(remote, source.notes)
    base_url = api_base_url(remote, host.api_prefix, settings_file, env)
    client = SigningClient(base_url, api_key, remote, timeout)
    project_file = Path(installation.project_file(host.cache_key))
    project = None
    if host.kind == TRAINING:
        project = _read_project(project_file) or client.training_project(host)
    signed = client.sign(host, public_key_text, project)
    try:
        certificate = parse_certificate(signed.ssh_certificate)
    except CertificateError as exc:
        raise ApiError(
            f"the signing API at {client.base_url} returned an unusable certificate ({exc})",
            hint="report this to Baseten support",
        ) from None
    if certificate.public_key != public_key:
        raise ApiError(
            f"the signing API at {client.base_url} certified a different public key",
            hint="report this to Baseten support",
        )
    _check_proxy_address(signed.proxy_address, client.base_url)
    now = time.time()
    session = Session(signed.jwt, signed.proxy_address, now, jwt_expiry(signed.jwt))
    ensure_private_dir(Path(installation.cert_dir))
    write_atomic(
        Path(installation.cert_file(host.cache_key)),
        (signed.ssh_certificate.strip() + "\n").encode(),
        new_file_mode=0o600,
    )
    write_atomic(
        Path(installation.session_file(host.cache_key)),
        json.dumps(session.to_json(), indent=2).encode() + b"\n",
        new_file_mode=0o600,
    )
    if project is not None and _read_project(project_file) != project:
        write_atomic(project_file, project.encode(), new_file_mode=0o600)
    return certificate


def no_api_key(remote: str, notes: tuple[str, ...]) -> NotLoggedIn:
    """Why no key was found, with what the sources said (never a key)."""
    unavailable = [note for note in notes if note.startswith("keyring: not available")]
    if unavailable:  # e.g. keyring was in a virtual environment that is gone
        return NotLoggedIn(
            f"no API key for remote {remote!r}; {unavailable[0]}",
            hint=f"set {API_KEY_ENV} for this shell, or run `sshsetup setup` again from a "
            f"working sshsetup (then `sshsetup login --remote {remote}` if it asks)",
        )
    return NotLoggedIn(
        f"no API key for remote {remote!r}",
        hint=f"run `sshsetup login --remote {remote}` (or set {API_KEY_ENV})",
    )


def _read_project(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
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
    except (ValueError, binascii.Error):
        return None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    return float(expires) if isinstance(expires, (int, float)) else None


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


def _check_proxy_address(address: str, base_url: str) -> None:
    from sshsetup.connect.tunnel import ProxyError, split_address

    try:
        split_address(address)
    except ProxyError as exc:
        raise ApiError(
            f"the signing API at {base_url} returned an unusable proxy address ({exc.message})",
            hint="report this to Baseten support",
        ) from None
