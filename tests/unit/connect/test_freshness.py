"""The refresh rule (sshsetup.connect.freshness) on real certificates: when a cached
certificate must be fetched again."""

from __future__ import annotations

import time
from pathlib import Path

from helpers.certs import make_key_pair, sign_with_cryptography, write_ca

from sshsetup.connect.certfile import parse_certificate, public_key_blob
from sshsetup.connect.freshness import certificate_problem


def test_usability_rules(tmp_path: Path) -> None:
    ca = write_ca(tmp_path / "ca")
    key = make_key_pair(tmp_path / "id")
    other = make_key_pair(tmp_path / "other")
    mine = public_key_blob((tmp_path / "id.pub").read_text())
    now = int(time.time())

    def problem(after: int, before: int, margin: int = 300, signed: object = key) -> str | None:
        text = sign_with_cryptography(ca, signed, valid_after=after, valid_before=before)  # type: ignore[arg-type]
        return certificate_problem(parse_certificate(text), now, margin, mine)

    assert problem(now - 60, now + 3600) is None
    assert "expires in 200 s (refresh margin 300 s)" in str(problem(now - 3600, now + 200))
    assert "expired at" in str(problem(now - 3600, now - 1))
    # valid_before is exclusive (docs/certificates.md#certificate-line-and-blob-layout)
    assert "expired at" in str(problem(now - 3600, now))
    assert "not valid yet" in str(problem(now + 60, now + 3600))
    assert problem(now, now + 3600) is None  # valid_after is inclusive
    assert "different public key" in str(problem(now - 60, now + 3600, signed=other))
    # A certificate living no longer than the margin: half its lifetime counts instead.
    assert problem(now - 10, now + 110, margin=300) is None
    assert "expires in 50 s" in str(problem(now - 70, now + 50, margin=300))
