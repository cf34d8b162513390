"""A throwaway SSH certificate authority: signs real OpenSSH user certificates."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from sshsetup.connect.atomic_write import write_atomic

CLOCK_SKEW_SECONDS = 60  # valid_after lies this far back, as real CAs do for clock drift
BASE_EXTENSIONS = (b"permit-port-forwarding", b"permit-pty")
AGENT_FORWARDING_EXTENSION = b"permit-agent-forwarding"
SignableKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class InvalidPublicKey(ValueError):
    """The submitted text is not a single OpenSSH public key that can be certified."""


def parse_public_key(text: str) -> SignableKey:
    """The key in one `.pub` line (`type base64 [comment]`); certificates are refused."""
    fields = text.strip().split()
    if len(fields) < 2 or "\n" in text.strip():
        raise InvalidPublicKey("expected one OpenSSH public key line: `<type> <base64> [comment]`")
    if fields[0].endswith("-cert-v01@openssh.com"):
        raise InvalidPublicKey("got a certificate; send the public key itself")
    try:
        key = serialization.load_ssh_public_key(f"{fields[0]} {fields[1]}".encode())
    except (ValueError, TypeError) as exc:
        raise InvalidPublicKey(f"not an OpenSSH public key ({exc})") from None
    if not isinstance(key, (ed25519.Ed25519PublicKey, rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise InvalidPublicKey(f"unsupported key type {fields[0]}")
    return key


class CertificateAuthority:
    """An ed25519 CA key that lives only as long as the sandbox."""

    def __init__(self) -> None:
        self._private_key = ed25519.Ed25519PrivateKey.generate()

    @property
    def public_key_line(self) -> str:
        """`ssh-ed25519 AAAA…`: what sshd's TrustedUserCAKeys file holds."""
        data = self._private_key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return data.decode() + " sshsetup-sandbox-ca"

    def write_public_key(self, path: Path) -> None:
        write_atomic(path, (self.public_key_line + "\n").encode(), new_file_mode=0o644)

    def sign_user_certificate(
        self,
        public_key: SignableKey,
        *,
        key_id: str,
        principals: Sequence[str],
        validity_seconds: int,
        agent_forwarding: bool = True,
        now: int | None = None,
    ) -> str:
        """One certificate line (`ssh-…-cert-v01@openssh.com <base64> <key id>`)."""
        issued_at = int(time.time()) if now is None else now
        extensions = list(BASE_EXTENSIONS)
        if agent_forwarding:
            extensions.append(AGENT_FORWARDING_EXTENSION)
        builder = (
            serialization.SSHCertificateBuilder()
            .public_key(public_key)
            .serial(secrets.randbits(63))
            .type(serialization.SSHCertificateType.USER)
            .key_id(key_id.encode())
            .valid_principals([principal.encode() for principal in principals])
            .valid_after(max(0, issued_at - CLOCK_SKEW_SECONDS))
            .valid_before(issued_at + validity_seconds)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, b"")
        certificate = builder.sign(self._private_key)
        return certificate.public_bytes().decode() + " " + key_id
