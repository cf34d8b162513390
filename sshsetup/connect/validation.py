"""What a signing answer must be before anything of it is cached
(docs/baseten-protocol.md#what-the-client-accepts-from-the-api).

The certificate must be an OpenSSH *user* certificate, for our public key, valid now on the
signer's clock, with principals for this workload: empty (any principal), the workload's
login user (``baseten.WORKLOADS``), or one naming the workload itself (its job, model or
deployment id), as Baseten's in-container sshd authorizes a subject rather than the login
name (docs/certificates.md#principals-a-workload-accepts). A certificate whose text fields
carry one of the request's credentials (or the answer's JWT) is refused too: sshsetup would
show them. Anything else is an ApiError saying what was wrong; the caller then caches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sshsetup.baseten import TRAINING, HostName, workload_of
from sshsetup.connect.certfile import (
    Certificate,
    CertificateError,
    fingerprint,
    format_time,
    parse_certificate,
)
from sshsetup.connect.credentials import shares_secret
from sshsetup.connect.freshness import EXPIRED, HOST_CERTIFICATE, NOT_YET_VALID, validity
from sshsetup.connect.http import redact
from sshsetup.errors import ApiError


def checked_certificate(
    text: str,
    public_key: bytes,
    host: HostName,
    signer_now: float,
    api: str,
    secrets: Iterable[str],
) -> Certificate:
    """The certificate in ``text`` if it is usable for ``host``; else ApiError."""
    secrets = tuple(secrets)
    try:
        certificate = parse_certificate(text)
    except CertificateError as exc:
        reason = f"is not an OpenSSH certificate ({redact(str(exc), secrets)})"
        raise _unusable(api, reason) from None
    problem = certificate_answer_problem(certificate, public_key, host, signer_now)
    if problem is not None:
        raise _unusable(api, redact(problem, secrets))
    field = _field_with_secret(certificate, secrets)
    if field is not None:
        raise _unusable(api, f"carries a credential in its {field}")
    return certificate


def certificate_answer_problem(
    certificate: Certificate, public_key: bytes, host: HostName, signer_now: float
) -> str | None:
    """What makes a freshly signed certificate unusable for ``host``, or None."""
    verdict = validity(certificate, signer_now)
    if verdict == HOST_CERTIFICATE:
        return "is a host certificate, not a user certificate"
    if certificate.public_key != public_key:
        return (
            f"certifies the key {fingerprint(certificate.public_key)}, not yours "
            f"({fingerprint(public_key)})"
        )
    if verdict == NOT_YET_VALID:
        return (
            f"is not valid before {format_time(certificate.valid_after)} "
            f"(the signer's clock said {format_time(int(signer_now))})"
        )
    if verdict == EXPIRED:
        return (
            f"expired at {format_time(certificate.valid_before)} "
            f"(the signer's clock said {format_time(int(signer_now))})"
        )
    if not principals_fit(certificate.principals, host):
        login = workload_of(host.kind).remote_user
        shown = ", ".join(certificate.principals)
        return (
            f"names the principals {shown}, none of which is the login user {login!r} "
            f"or the {host.workload}"
        )
    return None


def principals_fit(principals: tuple[str, ...], host: HostName) -> bool:
    if not principals:
        return True
    if workload_of(host.kind).remote_user in principals:
        return True
    ids = [host.job_id] if host.kind == TRAINING else [host.model_id, host.deployment_id]
    names = [identifier.lower() for identifier in ids if identifier]
    return any(name in principal.lower() for principal in principals for name in names)


def _field_with_secret(certificate: Certificate, secrets: tuple[str, ...]) -> str | None:
    """Which text field of the certificate holds a secret (or a piece of one), if any."""
    fields = {
        "key id": [certificate.key_id],
        "comment": [certificate.comment],
        "principals": list(certificate.principals),
        "extensions": list(certificate.extensions),
        "critical options": [
            f"{name} {value.decode('utf-8', 'replace')}"
            for name, value in certificate.critical_options.items()
        ],
    }
    for name, texts in fields.items():
        if any(shares_secret(text, secret) for text in texts for secret in secrets):
            return name
    return None


def _unusable(api: str, problem: str) -> ApiError:
    return ApiError(
        f"the signing API at {api} returned a certificate that {problem}; nothing was cached",
        hint="try again; if it persists, check this computer's clock (`date -u`) and report "
        "it to Baseten support",
    )
