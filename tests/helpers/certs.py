"""Real keys and certificates for tests: ed25519 pairs from cryptography, certificates from
`ssh-keygen -s` (docs/certificates.md#signing-test-certificates-with-ssh-keygen) and from
cryptography's SSHCertificateBuilder
(docs/certificates.md#parsing-certificates-with-the-cryptography-package)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import SSHCertificateBuilder, SSHCertificateType


def make_key_pair(path: Path, comment: str = "sshsetup-test") -> ed25519.Ed25519PrivateKey:
    """Write an OpenSSH ed25519 pair at ``path`` (0600) and ``path.pub``."""
    key = ed25519.Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path.with_name(path.name + ".pub").write_bytes(public + b" " + comment.encode() + b"\n")
    return key


def sign_with_ssh_keygen(
    ca_key: Path,
    public_key: Path,
    key_id: str = "test-cert",
    principals: str = "baseten",
    validity: str = "-5m:+1h",
    serial: int = 42,
    options: tuple[str, ...] = (),
) -> str:
    """`ssh-keygen -s` signs ``public_key``; returns the certificate line."""
    command = ["ssh-keygen", "-q", "-s", str(ca_key), "-I", key_id, "-V", validity]
    command += ["-z", str(serial)]
    if principals:
        command += ["-n", principals]
    for option in options:
        command += ["-O", option]
    subprocess.run([*command, str(public_key)], check=True, capture_output=True)
    cert = public_key.with_name(public_key.name[: -len(".pub")] + "-cert.pub")
    text = cert.read_text()
    cert.unlink()
    return text


def sign_with_cryptography(
    ca: ed25519.Ed25519PrivateKey,
    key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey,
    valid_after: int | None = None,
    valid_before: int | None = None,
    key_id: bytes = b"crypto-cert",
    principals: tuple[bytes, ...] = (b"baseten",),
    extensions: tuple[bytes, ...] = (b"permit-agent-forwarding", b"permit-pty"),
    critical: dict[bytes, bytes] | None = None,
    cert_type: SSHCertificateType = SSHCertificateType.USER,
) -> str:
    now = int(time.time())
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    builder = (
        SSHCertificateBuilder()
        .public_key(public)
        .serial(7)
        .type(cert_type)
        .key_id(key_id)
        .valid_after(now - 300 if valid_after is None else valid_after)
        .valid_before(now + 3600 if valid_before is None else valid_before)
    )
    builder = (
        builder.valid_principals(list(principals))
        if principals
        else builder.valid_for_all_principals()
    )
    for name in extensions:
        builder = builder.add_extension(name, b"")
    for name, value in (critical or {}).items():
        builder = builder.add_critical_option(name, value)
    return builder.sign(ca).public_bytes().decode() + "\n"


def write_ca(path: Path) -> ed25519.Ed25519PrivateKey:
    """A CA key pair on disk (for ssh-keygen -s) that cryptography can also sign with."""
    return make_key_pair(path, comment="test-ca")
