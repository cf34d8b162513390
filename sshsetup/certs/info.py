"""A cached certificate as sshsetup shows it (`cert status`, `cert fetch`, doctor)."""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.connect.certfile import FOREVER, Certificate, fingerprint, format_time


@dataclass(frozen=True)
class CertificateInfo:
    host: str
    key_id: str
    serial: int
    principals: list[str]
    valid_after: str
    valid_before: str
    seconds_left: int | None  # None: valid forever
    extensions: list[str]
    critical_options: dict[str, str]
    fingerprint: str  # of the certified public key

    @classmethod
    def of(cls, host: str, certificate: Certificate, now: float) -> CertificateInfo:
        before = certificate.valid_before
        return cls(
            host=host,
            key_id=certificate.key_id,
            serial=certificate.serial,
            principals=list(certificate.principals),
            valid_after=format_time(certificate.valid_after),
            valid_before=format_time(before),
            seconds_left=None if before == FOREVER else max(0, int(before - now)),
            extensions=sorted(certificate.extensions),
            critical_options={
                name: value.decode("utf-8", "replace")
                for name, value in certificate.critical_options.items()
            },
            fingerprint=fingerprint(certificate.public_key),
        )


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "forever"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
