"""Where the credential for HOST's remote is found (never the credential itself)."""

from __future__ import annotations

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.certfile import format_time
from sshsetup.connect.credentials import KeySource, missing_credential


def api_key_check(source: KeySource) -> CheckResult:
    details = source.to_json()
    if source.source is None:
        missing = missing_credential(source)
        return CheckResult(
            CheckId.CREDENTIALS_API_KEY,
            Status.FAIL,
            missing.message + ": new certificates cannot be fetched",
            missing.hint,
            details,
        )
    seen = f"{source.described} found in {source.source} ({source.location})"
    if source.expires_at is not None:
        seen += (
            f", valid until {format_time(int(source.expires_at))} (then `baseten auth login` "
            "renews it; sshsetup does not)"
        )
    return CheckResult(CheckId.CREDENTIALS_API_KEY, Status.PASS, seen, details=details)
