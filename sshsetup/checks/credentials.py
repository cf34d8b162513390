"""Where the API key for HOST's remote is found (never the key itself)."""

from __future__ import annotations

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.credentials import KeySource


def api_key_check(remote: str, source: KeySource) -> CheckResult:
    details = source.to_json()
    notes = "; ".join(source.notes)
    if source.source is None:
        return CheckResult(
            CheckId.CREDENTIALS_API_KEY,
            Status.FAIL,
            f"no API key for remote {remote!r} (looked in the keyring, the plaintext key file, "
            "BASETEN_API_KEY and ~/.trussrc)"
            + (f"; {notes}" if notes else "")
            + ": new certificates cannot be fetched",
            f"sshsetup login --remote {remote}  (or set BASETEN_API_KEY)",
            details,
        )
    return CheckResult(
        CheckId.CREDENTIALS_API_KEY,
        Status.PASS,
        f"API key for remote {remote!r} found in {source.source} ({source.location})",
        details=details,
    )
