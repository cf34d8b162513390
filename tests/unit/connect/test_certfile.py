"""The pure-Python certificate parser against cryptography's, on real certificates."""

from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import (
    SSHCertificate,
    SSHCertificateType,
    load_ssh_public_identity,
)
from helpers.certs import make_key_pair, sign_with_cryptography, sign_with_ssh_keygen, write_ca

from sshsetup.connect.certfile import (
    FOREVER,
    HOST_CERT,
    Certificate,
    CertificateError,
    format_time,
    parse_certificate,
    public_key_blob,
)
from sshsetup.connect.freshness import certificate_problem


def _blob(public_key: object) -> bytes:
    line = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return base64.b64decode(line.split()[1])


def assert_same_as_cryptography(text: str) -> Certificate:
    ours = parse_certificate(text)
    theirs = load_ssh_public_identity(text.encode())
    assert isinstance(theirs, SSHCertificate)
    assert ours.nonce == theirs.nonce
    assert ours.public_key == _blob(theirs.public_key())
    assert ours.serial == theirs.serial
    assert ours.cert_type == theirs.type.value
    assert ours.key_id.encode() == theirs.key_id
    assert [p.encode() for p in ours.principals] == theirs.valid_principals
    assert ours.valid_after == theirs.valid_after
    assert ours.valid_before == theirs.valid_before
    assert {k.encode(): v for k, v in ours.critical_options.items()} == theirs.critical_options
    assert {k.encode(): v for k, v in ours.extensions.items()} == theirs.extensions
    assert ours.signature_key == _blob(theirs.signature_key())
    return ours


def test_ssh_keygen_certificate_matches_cryptography(signing_keys: tuple[Path, Path]) -> None:
    ca, pub = signing_keys
    text = sign_with_ssh_keygen(ca, pub, key_id="job-42", principals="baseten,root", serial=99)
    cert = assert_same_as_cryptography(text)
    assert cert.key_id == "job-42" and cert.principals == ("baseten", "root")
    assert cert.serial == 99 and cert.key_type == "ssh-ed25519-cert-v01@openssh.com"
    # ssh-keygen's default extensions
    # (docs/certificates.md#signing-test-certificates-with-ssh-keygen)
    assert set(cert.extensions) == {
        "permit-X11-forwarding",
        "permit-agent-forwarding",
        "permit-port-forwarding",
        "permit-pty",
        "permit-user-rc",
    }
    assert cert.public_key == public_key_blob(pub.read_text())


def test_options_with_values_and_flags_match_cryptography(signing_keys: tuple[Path, Path]) -> None:
    ca, pub = signing_keys
    text = sign_with_ssh_keygen(
        ca,
        pub,
        options=("clear", "permit-pty", "force-command=/bin/true", "source-address=127.0.0.1/32"),
    )
    cert = assert_same_as_cryptography(text)
    assert cert.critical_options == {
        "force-command": b"/bin/true",
        "source-address": b"127.0.0.1/32",
    }
    assert cert.extensions == {"permit-pty": b""}


def test_forever_and_any_principal(signing_keys: tuple[Path, Path]) -> None:
    ca, pub = signing_keys
    cert = assert_same_as_cryptography(
        sign_with_ssh_keygen(ca, pub, principals="", validity="always:forever")
    )
    assert (cert.valid_after, cert.valid_before, cert.principals) == (0, FOREVER, ())
    assert (format_time(cert.valid_after), format_time(cert.valid_before)) == ("always", "forever")
    assert certificate_problem(cert, time.time(), 300) is None


@pytest.mark.parametrize("key_type", ["rsa", "ecdsa"])
def test_other_key_types_match_cryptography(tmp_path: Path, key_type: str) -> None:
    write_ca(tmp_path / "ca")
    key = tmp_path / f"id_{key_type}"
    bits = ["-b", "2048"] if key_type == "rsa" else []
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, *bits, "-N", "", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    pub = key.with_name(key.name + ".pub")
    cert = assert_same_as_cryptography(sign_with_ssh_keygen(tmp_path / "ca", pub))
    assert cert.public_key == public_key_blob(pub.read_text())


def test_cryptography_builder_certificates_match(tmp_path: Path) -> None:
    ca = write_ca(tmp_path / "ca")
    key = make_key_pair(tmp_path / "id")
    text = sign_with_cryptography(
        ca,
        key,
        critical={b"force-command": b"echo hi"},
        cert_type=SSHCertificateType.HOST,
        principals=(),
    )
    cert = assert_same_as_cryptography(text)
    assert cert.cert_type == HOST_CERT
    assert cert.critical_options == {"force-command": b"echo hi"}
    assert (
        certificate_problem(cert, time.time(), 0)
        == "it is a host certificate, not a user certificate"
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "expected '<type> <base64 data>'"),
        ("ssh-ed25519-cert-v01@openssh.com", "expected '<type> <base64 data>'"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==", "key type 'ssh-ed25519'"),
        ("ssh-ed25519-cert-v01@openssh.com !!!notbase64", "not valid base64"),
        ("ssh-ed25519-cert-v01@openssh.com AAAA", "truncated"),
        (b"ssh-ed25519-cert-v01@openssh.com \xff\xfe", "non-ASCII"),
    ],
)
def test_garbage_is_a_certificate_error(text: str | bytes, why: str) -> None:
    with pytest.raises(CertificateError) as caught:
        parse_certificate(text)
    assert why in str(caught.value)


def test_structural_corruption_is_caught_like_cryptography(signing_keys: tuple[Path, Path]) -> None:
    ca, pub = signing_keys
    fields = sign_with_ssh_keygen(ca, pub).split()
    blob = base64.b64decode(fields[1])

    def line(data: bytes, kind: str = fields[0]) -> str:
        return f"{kind} {base64.b64encode(data).decode()}"

    corrupt = {
        "truncated": blob[:-10],
        "trailing data": blob + b"\x00\x00\x00\x00",
    }
    for data in corrupt.values():
        with pytest.raises(CertificateError):
            parse_certificate(line(data))
        with pytest.raises(ValueError):
            load_ssh_public_identity(line(data).encode())
    with pytest.raises(CertificateError, match="the line says"):
        parse_certificate(line(blob, "ecdsa-sha2-nistp256-cert-v01@openssh.com"))


def test_every_single_byte_flip_parses_consistently_or_fails_cleanly(
    signing_keys: tuple[Path, Path],
) -> None:
    """No corruption may escape as anything but CertificateError; whatever both parsers
    accept must read the same (fields up to the signature are what the hook relies on)."""
    ca, pub = signing_keys
    fields = sign_with_ssh_keygen(ca, pub, options=("force-command=/bin/true",)).split()
    blob = bytearray(base64.b64decode(fields[1]))
    accepted_by_both = 0
    for position in range(len(blob)):
        flipped = bytearray(blob)
        flipped[position] ^= 0x41
        text = f"{fields[0]} {base64.b64encode(bytes(flipped)).decode()}"
        try:
            parse_certificate(text)
        except CertificateError:
            continue
        try:
            theirs = load_ssh_public_identity(text.encode())
            assert isinstance(theirs, SSHCertificate)
            theirs.public_key(), theirs.signature_key()  # cryptography parses these lazily
        except (ValueError, TypeError):
            continue
        assert_same_as_cryptography(text)
        accepted_by_both += 1
    assert accepted_by_both > 0  # flips inside nonce/key id/signature bytes stay parseable


def test_public_key_blob_rejects_mismatched_type(tmp_path: Path) -> None:
    make_key_pair(tmp_path / "id")
    fields = (tmp_path / "id.pub").read_text().split()
    assert public_key_blob(" ".join(fields)) == base64.b64decode(fields[1])
    with pytest.raises(CertificateError, match="type differs"):
        public_key_blob(f"ssh-rsa {fields[1]}")
