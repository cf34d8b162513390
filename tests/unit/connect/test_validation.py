"""What a signing answer's certificate must be before it is cached
(sshsetup.connect.validation), on real certificates made with cryptography."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import SSHCertificateType
from helpers.certs import make_key_pair, sign_with_cryptography

from sshsetup.baseten import HostName, parse_host
from sshsetup.connect.certfile import public_key_blob
from sshsetup.connect.validation import checked_certificate
from sshsetup.errors import ApiError

TRAINING = parse_host("training-job-j0b42-0.ssh.baseten.co")
MODEL = parse_host("model-m1-d1.ssh.baseten.co")


Keys = tuple[Ed25519PrivateKey, Ed25519PrivateKey, bytes]  # CA, the user's key, its blob


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    ca = make_key_pair(tmp_path / "ca")
    key = make_key_pair(tmp_path / "id")
    return ca, key, public_key_blob((tmp_path / "id.pub").read_text())


def check(keys: Keys, host: HostName = TRAINING, now: int | None = None, **options: Any) -> str:
    """The problem checked_certificate finds ('' if none) on the signer's clock at ``now``
    (default: the moment of the call, as the certificate's default validity is)."""
    ca, key, blob = keys
    signed_for = options.pop("signed_for", key)
    text = sign_with_cryptography(ca, signed_for, **options)
    now = int(time.time()) if now is None else now
    try:
        checked_certificate(text, blob, host, now, "http://api", ["s3cret-api-key"])
    except ApiError as error:
        assert error.message.startswith("the signing API at http://api returned a certificate that")
        assert error.message.endswith("; nothing was cached")
        return error.message
    return ""


def test_a_fresh_user_certificate_for_the_login_user_is_accepted(keys: Keys) -> None:
    assert check(keys, principals=(b"baseten",)) == ""
    assert check(keys, MODEL, principals=(b"app",)) == ""


def test_principals_may_be_empty_or_name_the_workload(keys: Keys) -> None:
    assert check(keys, principals=()) == ""  # any principal
    assert check(keys, principals=(b"j0b42",)) == ""  # the job, as Baseten's subject
    assert check(keys, principals=(b"training-job-j0b42",)) == ""
    assert check(keys, MODEL, principals=(b"deployment-d1",)) == ""


def test_principals_for_another_workload_are_refused(keys: Keys) -> None:
    assert "none of which is the login user 'baseten'" in check(keys, principals=(b"app",))
    assert "or the training job j0b42 node 0" in check(keys, principals=(b"otherjob",))
    assert "login user 'app'" in check(keys, MODEL, principals=(b"baseten", b"root"))


def test_a_host_certificate_is_refused(keys: Keys) -> None:
    problem = check(keys, cert_type=SSHCertificateType.HOST)
    assert "is a host certificate, not a user certificate" in problem


def test_a_certificate_for_another_key_is_refused(keys: Keys, tmp_path: Path) -> None:
    other = make_key_pair(tmp_path / "other")
    assert "certifies the key SHA256:" in check(keys, signed_for=other)


def test_validity_is_judged_on_the_signers_clock(keys: Keys) -> None:
    now = int(time.time())
    assert "expired at" in check(keys, now=now, valid_after=now - 600, valid_before=now - 1)
    assert "expired at" in check(keys, now=now, valid_after=now - 600, valid_before=now)
    assert "is not valid before" in check(
        keys, now=now, valid_after=now + 60, valid_before=now + 600
    )
    # The Date header has one-second resolution: a second or two ahead still counts as now.
    assert check(keys, now=now, valid_after=now + 2, valid_before=now + 600) == ""


def test_text_that_is_no_certificate_is_refused_without_echoing_it() -> None:
    secret = "s3cret-api-key"
    with pytest.raises(ApiError) as caught:
        checked_certificate(f"{secret} AAAA", b"", TRAINING, time.time(), "http://api", [secret])
    assert "is not an OpenSSH certificate" in caught.value.message
    assert "s3cret" not in caught.value.message


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"key_id": b"echo s3cret-api-key"}, "key id"),
        ({"principals": (b"baseten", b"s3cret-api-key")}, "principals"),
        ({"extensions": (b"permit-pty", b"x-s3cret-api-key")}, "extensions"),
        ({"critical": {b"force-command": b"echo s3cret-api-key"}}, "critical options"),
    ],
)
def test_a_certificate_carrying_a_credential_is_refused(
    keys: Keys, options: dict[str, Any], field: str
) -> None:
    problem = check(keys, **options)
    assert f"carries a credential in its {field}" in problem
    assert "s3cret" not in problem
