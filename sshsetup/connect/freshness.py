"""When a cached certificate or session token must be fetched again: the refresh rule, once.

A credential is renewed ``margin`` seconds before it expires
(docs/certificates.md#when-to-re-sign-a-certificate), but the margin is at most half of the
life it had left when it was fetched: its life starts at the fetch, or at ``valid_after``
when that is later (a certificate's backdated part, lived before the fetch, does not count).
So a credential just fetched is never "expiring", whatever its lifetime: N connections that
start together sign once, and the next connection reuses what the first fetched.

Every time here is the signer's clock (docs/certificates.md#judging-validity-on-the-signers-clock):
callers convert this computer's clock with the offset measured at the fetch
(``Session.signer_time``), so a workstation clock that is off does not make every
certificate look "not yet valid" or "expired". Pure functions of the credential and the time;
the hook evaluates them on every ssh run, so: no imports.
"""

from __future__ import annotations

from sshsetup.connect.certfile import FOREVER, USER_CERT, format_time

TYPE_CHECKING = False  # typing costs ~8 ms of imports on the connect path; mypy reads this
if TYPE_CHECKING:
    from sshsetup.connect.certfile import Certificate

# How far ahead of the signer's clock, as measured at the fetch, a certificate's valid_after
# may be and still count as valid: the measurement (an HTTP Date header) has 1 s resolution.
SIGNER_CLOCK_TOLERANCE_SECONDS = 2


def effective_margin(margin: float, life_start: float, expires_at: float) -> float:
    """The refresh margin, capped at half the life from ``life_start`` to ``expires_at``."""
    lifetime = expires_at - life_start
    return min(margin, lifetime / 2) if lifetime > 0 else margin


def is_expiring(now: float, margin: float, life_start: float, expires_at: float) -> bool:
    return now >= expires_at - effective_margin(margin, life_start, expires_at)


VALID = "valid"
HOST_CERTIFICATE = "host certificate"
NOT_YET_VALID = "not yet valid"
EXPIRED = "expired"


def validity(certificate: Certificate, now: float) -> str:
    """Whether a server would accept ``certificate`` at ``now``: VALID, or why not."""
    if certificate.cert_type != USER_CERT:
        return HOST_CERTIFICATE
    if now + SIGNER_CLOCK_TOLERANCE_SECONDS < certificate.valid_after:
        return NOT_YET_VALID
    if now >= certificate.valid_before:
        return EXPIRED
    return VALID


def validity_problem(certificate: Certificate, now: float) -> str | None:
    verdict = validity(certificate, now)
    if verdict == HOST_CERTIFICATE:
        return "it is a host certificate, not a user certificate"
    if verdict == NOT_YET_VALID:
        start = format_time(certificate.valid_after)
        return f"the certificate is not valid yet (valid from {start})"
    if verdict == EXPIRED:
        return f"the certificate expired at {format_time(certificate.valid_before)}"
    return None


def certificate_problem(
    certificate: Certificate,
    now: float,
    margin: float,
    public_key: bytes | None = None,
    fetched_at: float | None = None,
) -> str | None:
    """Why the certificate should be fetched again at ``now``, or None if it is usable.

    ``public_key``: the blob of the key it must certify (from ``<key>.pub``).
    ``fetched_at``: when it was fetched (None: unknown, its life counts from valid_after).
    """
    if public_key is not None and public_key != certificate.public_key:
        return "the certificate was signed for a different public key"
    problem = validity_problem(certificate, now)
    if problem is not None:
        return problem
    before = certificate.valid_before
    life_start: float = certificate.valid_after
    if fetched_at is not None:
        life_start = max(life_start, fetched_at)
    if before != FOREVER and is_expiring(now, margin, life_start, before):
        return f"the certificate expires in {int(before - now)} s (refresh margin {int(margin)} s)"
    return None


def token_problem(
    expires_at: float | None, fetched_at: float, now: float, margin: float
) -> str | None:
    """Why a session token (the JWT) should be fetched again, or None."""
    if expires_at is None or not is_expiring(now, margin, fetched_at, expires_at):
        return None
    return f"the session's token expires in {int(expires_at - now)} s"
