"""Checks of HOST's cached certificate: present, valid, for our key, permitting forwarding."""

from __future__ import annotations

from pathlib import Path

from sshsetup.certs.info import CertificateInfo
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.certfile import (
    Certificate,
    CertificateError,
    fingerprint,
    format_time,
    parse_certificate,
    public_key_blob,
)
from sshsetup.connect.freshness import (
    EXPIRED,
    HOST_CERTIFICATE,
    NOT_YET_VALID,
    validity,
)
from sshsetup.results import jsonable

PERMIT_AGENT_FORWARDING = "permit-agent-forwarding"


def certificate_checks(
    host: str, cert_file: Path, public_key_file: Path, now: float, forwarding_wanted: bool
) -> list[CheckResult]:
    fetch = f"sshsetup cert fetch {host}"
    try:
        data = cert_file.read_bytes()
    except FileNotFoundError:
        return [
            CheckResult(
                CheckId.CERTIFICATE_PRESENT,
                Status.PASS,
                f"no certificate cached for {host} yet ({cert_file}): the first ssh to it "
                f"fetches one (or now: {fetch})",
                details={"file": str(cert_file), "present": False},
            )
        ]
    except OSError as exc:
        return [
            CheckResult(
                CheckId.CERTIFICATE_PRESENT,
                Status.FAIL,
                f"cannot read {cert_file}: {exc.strerror}",
                f"chmod 600 {cert_file}",
                {"file": str(cert_file)},
            )
        ]
    try:
        certificate = parse_certificate(data)
    except CertificateError as exc:
        return [
            CheckResult(
                CheckId.CERTIFICATE_PRESENT,
                Status.FAIL,
                f"{cert_file} is unusable: {exc}",
                f"rm {cert_file} && {fetch}",
                {"file": str(cert_file)},
            )
        ]
    info = CertificateInfo.of(host, certificate, now)
    details = {"file": str(cert_file), "present": True, **jsonable(info)}
    return [
        CheckResult(
            CheckId.CERTIFICATE_PRESENT,
            Status.PASS,
            f"{cert_file}: key id {certificate.key_id!r}, serial {certificate.serial}",
            details=details,
        ),
        _validity_check(certificate, now, fetch),
        _key_match_check(certificate, public_key_file, fetch),
        _forwarding_permit_check(certificate, forwarding_wanted, host, fetch),
    ]


def _validity_check(certificate: Certificate, now: float, fetch: str) -> CheckResult:
    after, before = format_time(certificate.valid_after), format_time(certificate.valid_before)
    window = f"valid from {after} to {before}"
    verdict = validity(certificate, now)
    if verdict == HOST_CERTIFICATE:
        return CheckResult(
            CheckId.CERTIFICATE_VALIDITY,
            Status.FAIL,
            "it is a host certificate, not a user certificate",
            fetch,
        )
    if verdict == NOT_YET_VALID:
        return CheckResult(
            CheckId.CERTIFICATE_VALIDITY,
            Status.WARN,
            f"not valid yet ({window}): this computer's clock or the signer's is off, and the "
            "server refuses it ('Certificate invalid: not yet valid')",
            f"check the clock (date -u), then: {fetch}",
        )
    if verdict == EXPIRED:
        return CheckResult(
            CheckId.CERTIFICATE_VALIDITY,
            Status.WARN,
            f"expired ({window}): the server refuses it; the connect hook fetches a new one on "
            "the next ssh only if it can reach the API with your API key",
            fetch,
        )
    left = int(certificate.valid_before - now)
    return CheckResult(CheckId.CERTIFICATE_VALIDITY, Status.PASS, f"{window} ({left} s left)")


def _key_match_check(certificate: Certificate, public_key_file: Path, fetch: str) -> CheckResult:
    certified = fingerprint(certificate.public_key)
    try:
        key = public_key_blob(public_key_file.read_bytes())
    except (OSError, CertificateError) as exc:
        return CheckResult(
            CheckId.CERTIFICATE_KEY,
            Status.FAIL,
            f"cannot read the public key {public_key_file} ({exc})",
            "sshsetup setup  (restores the key pair)",
        )
    mine = fingerprint(key)
    if key != certificate.public_key:
        return CheckResult(
            CheckId.CERTIFICATE_KEY,
            Status.WARN,
            f"the certificate is for another key ({certified}), not {public_key_file} ({mine}): "
            "ssh cannot use it with that key",
            fetch,
            {"certified": certified, "key": mine},
        )
    return CheckResult(
        CheckId.CERTIFICATE_KEY, Status.PASS, f"certifies {public_key_file} ({mine})"
    )


def certificate_permits_forwarding(certificate: Certificate) -> bool:
    return PERMIT_AGENT_FORWARDING in certificate.extensions


def _forwarding_permit_check(
    certificate: Certificate, wanted: bool, host: str, fetch: str
) -> CheckResult:
    extensions = ", ".join(sorted(certificate.extensions)) or "none"
    if certificate_permits_forwarding(certificate):
        return CheckResult(
            CheckId.CERTIFICATE_AGENT_FORWARDING,
            Status.PASS,
            f"permit-agent-forwarding is granted (extensions: {extensions})",
        )
    if not wanted:
        return CheckResult(
            CheckId.CERTIFICATE_AGENT_FORWARDING,
            Status.PASS,
            f"no permit-agent-forwarding (extensions: {extensions}); ForwardAgent is off anyway",
        )
    return CheckResult(
        CheckId.CERTIFICATE_AGENT_FORWARDING,
        Status.FAIL,
        f"ForwardAgent is on for {host} but the certificate lacks permit-agent-forwarding "
        f"(extensions: {extensions}): the server silently refuses to forward your agent",
        f"{fetch}  (a new certificate); if it still lacks permit-agent-forwarding, the workload "
        "does not allow forwarding: ask Baseten support",
        {"extensions": sorted(certificate.extensions)},
    )
