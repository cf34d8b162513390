"""Fetch, store, list and prune the per-host certificates and sessions.

One host's fetch runs under that host's lock (``<session_dir>/<host>.lock``), and the
freshness check is repeated inside it: when two connections to the same host start
together, the second finds the first one's certificate and signs nothing.
The certificate and the session are each written atomically, 0600, in 0700 directories.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import TRAINING, HostName, HostNameError, parse_host
from sshsetup.connect.atomic_write import ensure_private_dir, write_atomic
from sshsetup.connect.certfile import (
    Certificate,
    CertificateError,
    parse_certificate,
    public_key_blob,
)
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.installation import ConnectSettings
from sshsetup.connect.session import Session, host_problem, read_session, session_problem
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode

CERT_SUFFIX = "-cert.pub"
_LOCK_SLACK_SECONDS = 15.0


@dataclass(frozen=True)
class FetchOutcome:
    host: str
    fetched: bool  # False: the cached certificate and session were still good
    reason: str | None  # why it was fetched (None when not, or when forced)
    certificate: Certificate


def parse_host_or_error(text: str) -> HostName:
    try:
        return parse_host(text)
    except HostNameError as exc:
        raise UserError(exc.message, hint=exc.hint, exit_code=ExitCode.BAD_INPUT) from None


def ensure_host(
    settings: ConnectSettings, host: HostName, env: Mapping[str, str], *, force: bool = False
) -> FetchOutcome:
    """Make sure a usable certificate and session for ``host`` are cached; fetch if not."""
    from sshsetup.connect.api import timeout_from_env

    timeout = timeout_from_env(env)
    ensure_private_dir(Path(settings.session_dir))
    with file_lock(Path(settings.lock_file(host.cache_key)), timeout=timeout + _LOCK_SLACK_SECONDS):
        reason = None if force else host_problem(settings, host.cache_key, time.time())
        if not force and reason is None:
            return FetchOutcome(host.name, False, None, read_certificate(settings, host.cache_key))
        certificate = _fetch(settings, host, env, timeout)
        return FetchOutcome(host.name, True, reason, certificate)


def ensure_session(settings: ConnectSettings, host: HostName, env: Mapping[str, str]) -> Session:
    """The cached session for the ProxyCommand, fetched first if missing or expiring."""
    if session_problem(settings, host.cache_key, time.time()) is not None:
        ensure_host(settings, host, env)
    try:
        session = read_session(settings.session_file(host.cache_key))
    except (OSError, ValueError) as exc:
        session = None
        detail = str(exc)
    else:
        detail = "missing"
    if session is None:
        raise UserError(
            f"the session for {host.name} is unusable after fetching it ({detail})",
            hint=f"run `sshsetup cert fetch {host.name}` to see the error",
            exit_code=ExitCode.INTERNAL,
        )
    return session


def read_certificate(settings: ConnectSettings, cache_key: str) -> Certificate:
    path = settings.cert_file(cache_key)
    try:
        return parse_certificate(Path(path).read_bytes())
    except OSError as exc:
        raise UserError(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    except CertificateError as exc:
        raise UserError(
            f"{path}: {exc}", hint=f"run `sshsetup cert fetch {cache_key}` to replace it"
        ) from None


def cached_hosts(settings: ConnectSettings) -> list[str]:
    """The hosts with a certificate in the cache, sorted."""
    try:
        names = os.listdir(settings.cert_dir)
    except FileNotFoundError:
        return []
    return sorted(
        name[: -len(CERT_SUFFIX)]
        for name in names
        if name.endswith(CERT_SUFFIX) and not name.startswith(".")
    )


def remove_host(settings: ConnectSettings, cache_key: str) -> list[str]:
    """Delete a host's certificate and session (under its lock); returns what was removed."""
    removed = []
    ensure_private_dir(Path(settings.session_dir))
    lock = settings.lock_file(cache_key)
    with file_lock(Path(lock)):
        for path in (
            settings.cert_file(cache_key),
            settings.session_file(cache_key),
            str(_project_file(settings, cache_key)),
        ):
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)
    return removed


def orphan_sessions(settings: ConnectSettings) -> Iterator[str]:
    """Hosts with a session file but no certificate."""
    certified = set(cached_hosts(settings))
    try:
        names = os.listdir(settings.session_dir)
    except FileNotFoundError:
        return
    for name in sorted(names):
        if name.endswith(".json") and name[: -len(".json")] not in certified:
            yield name[: -len(".json")]


def _fetch(
    settings: ConnectSettings, host: HostName, env: Mapping[str, str], timeout: float
) -> Certificate:
    from sshsetup.connect.api import SigningClient
    from sshsetup.connect.credentials import resolve_api_key
    from sshsetup.connect.remotes import api_base_url, remote_for_host

    public_key_text, public_key = _public_key(settings)
    paths = settings.paths(env)
    remote = remote_for_host(host.remote, paths, env)
    api_key = resolve_api_key(remote, paths, env)
    if not api_key:
        raise UserError(
            f"no API key for remote {remote!r}",
            hint=f"run `sshsetup login --remote {remote}` (or set BASETEN_API_KEY)",
            exit_code=ExitCode.NOT_LOGGED_IN,
        )
    base_url = api_base_url(remote, host.api_prefix, paths, env)
    client = SigningClient(base_url, api_key, remote, timeout)
    project_file = _project_file(settings, host.cache_key)
    project = None
    if host.kind == TRAINING:
        project = _read_project(project_file) or client.training_project(host)
    signed = client.sign(host, public_key_text, project)
    try:
        certificate = parse_certificate(signed.ssh_certificate)
    except CertificateError as exc:
        raise UserError(
            f"the signing API at {client.base_url} returned an unusable certificate ({exc})",
            hint="report this to Baseten support",
            exit_code=ExitCode.API_ERROR,
        ) from None
    if certificate.public_key != public_key:
        raise UserError(
            f"the signing API at {client.base_url} certified a different public key",
            hint="report this to Baseten support",
            exit_code=ExitCode.API_ERROR,
        )
    _check_proxy_address(signed.proxy_address, client.base_url)
    now = time.time()
    session = Session(signed.jwt, signed.proxy_address, now, jwt_expiry(signed.jwt))
    ensure_private_dir(Path(settings.cert_dir))
    write_atomic(
        Path(settings.cert_file(host.cache_key)),
        (signed.ssh_certificate.strip() + "\n").encode(),
        new_file_mode=0o600,
    )
    write_atomic(
        Path(settings.session_file(host.cache_key)),
        json.dumps(session.to_json(), indent=2).encode() + b"\n",
        new_file_mode=0o600,
    )
    if project is not None and _read_project(project_file) != project:
        write_atomic(project_file, project.encode(), new_file_mode=0o600)
    return certificate


def _project_file(settings: ConnectSettings, cache_key: str) -> Path:
    """Where a training job's project id is kept: the next fetch needs no job search."""
    return Path(settings.session_dir) / f"{cache_key}.project"


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


def _public_key(settings: ConnectSettings) -> tuple[str, bytes]:
    path = settings.public_key_file
    try:
        text = Path(path).read_text(encoding="ascii").strip()
        return text, public_key_blob(text)
    except FileNotFoundError:
        problem = "is missing"
    except (OSError, UnicodeDecodeError, CertificateError) as exc:
        problem = f"is unusable ({exc})"
    raise UserError(
        f"the public key {path} {problem}",
        hint="run `sshsetup setup` to restore the key pair",
        exit_code=ExitCode.BAD_INPUT,
    )


def _check_proxy_address(address: str, base_url: str) -> None:
    from sshsetup.connect.tunnel import ProxyError, split_address

    try:
        split_address(address)
    except ProxyError as exc:
        raise UserError(
            f"the signing API at {base_url} returned an unusable proxy address ({exc.message})",
            hint="report this to Baseten support",
            exit_code=ExitCode.API_ERROR,
        ) from None
