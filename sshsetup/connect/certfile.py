"""OpenSSH certificates, parsed in pure Python; key fingerprints
(docs/certificates.md#certificate-line-and-blob-layout).

Lean on purpose (``binascii`` only, both built in): the Match hook reads the cached
certificate on every ssh run to decide whether it is still usable, without paying for
``cryptography`` (tests compare this parser with cryptography's).
The signature is not verified: the server does that; the client only needs to know
whether the certificate is worth offering.
"""

from __future__ import annotations

import binascii
import sys

CERT_KEY_TYPE_SUFFIX = "-cert-v01@openssh.com"
USER_CERT = 1
HOST_CERT = 2
FOREVER = 2**64 - 1
# How many length-prefixed fields each key type's public part has in a certificate.
_KEY_FIELDS = {
    "ssh-ed25519": 1,  # pk
    "ssh-rsa": 2,  # e, n
    "ssh-dss": 4,  # p, q, g, y
    "ecdsa-sha2-nistp256": 2,  # curve, Q
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
    "sk-ssh-ed25519@openssh.com": 2,  # pk, application
    "sk-ecdsa-sha2-nistp256@openssh.com": 3,  # curve, Q, application
}
_STRICT_BASE64 = {"strict_mode": True} if sys.version_info >= (3, 11) else {}


class CertificateError(ValueError):
    """The text is not a well-formed OpenSSH certificate."""


class Certificate:
    """The fields of one certificate, as ``ssh-keygen -L`` shows them."""

    __slots__ = (
        "key_type",
        "nonce",
        "public_key",
        "serial",
        "cert_type",
        "key_id",
        "principals",
        "valid_after",
        "valid_before",
        "critical_options",
        "extensions",
        "signature_key",
        "comment",
    )

    def __init__(
        self,
        key_type: str,
        nonce: bytes,
        public_key: bytes,
        serial: int,
        cert_type: int,
        key_id: str,
        principals: tuple[str, ...],
        valid_after: int,
        valid_before: int,
        critical_options: dict[str, bytes],
        extensions: dict[str, bytes],
        signature_key: bytes,
        comment: str,
    ) -> None:
        self.key_type = key_type  # e.g. ssh-ed25519-cert-v01@openssh.com
        self.nonce = nonce
        self.public_key = public_key  # the certified key's blob, as in its .pub file
        self.serial = serial
        self.cert_type = cert_type
        self.key_id = key_id
        self.principals = principals  # empty: any principal
        self.valid_after = valid_after
        self.valid_before = valid_before
        self.critical_options = critical_options
        self.extensions = extensions
        self.signature_key = signature_key  # the CA's public key blob
        self.comment = comment

    @property
    def plain_key_type(self) -> str:
        return self.key_type[: -len(CERT_KEY_TYPE_SUFFIX)]


def format_time(stamp: int) -> str:
    """A validity bound as ISO 8601 UTC, or ``forever``/``always``."""
    if stamp >= FOREVER:
        return "forever"
    if stamp == 0:
        return "always"
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def parse_certificate(text: str | bytes) -> Certificate:
    """Parse one certificate line: ``<type> <base64> [comment]``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise CertificateError("not an OpenSSH certificate: non-ASCII bytes") from None
    fields = text.strip().split(None, 2)
    if len(fields) < 2:
        raise CertificateError("not an OpenSSH certificate: expected '<type> <base64 data>'")
    line_type, data = fields[0], fields[1]
    comment = fields[2] if len(fields) == 3 else ""
    if not line_type.endswith(CERT_KEY_TYPE_SUFFIX):
        raise CertificateError(f"not an OpenSSH certificate: key type {line_type!r}")
    try:
        blob = binascii.a2b_base64(data, **_STRICT_BASE64)
    except (binascii.Error, ValueError):
        raise CertificateError("not an OpenSSH certificate: the data is not valid base64") from None
    reader = _Reader(blob)
    key_type = reader.text()
    if key_type != line_type:
        raise CertificateError(
            f"corrupt certificate: the line says {line_type!r}, the data {key_type!r}"
        )
    plain_type = key_type[: -len(CERT_KEY_TYPE_SUFFIX)]
    field_count = _KEY_FIELDS.get(plain_type)
    if field_count is None:
        raise CertificateError(f"unsupported certificate key type {key_type!r}")
    nonce = reader.string()
    public_key = _string(plain_type.encode()) + b"".join(
        _string(reader.string()) for _ in range(field_count)
    )
    serial = reader.uint64()
    cert_type = reader.uint32()
    if cert_type not in (USER_CERT, HOST_CERT):
        raise CertificateError(f"corrupt certificate: unknown certificate type {cert_type}")
    key_id = reader.text()
    principals_reader = _Reader(reader.string())
    principals = []
    while not principals_reader.at_end():
        principals.append(principals_reader.text())
    valid_after = reader.uint64()
    valid_before = reader.uint64()
    critical_options = _options(reader.string())
    extensions = _options(reader.string())
    reader.string()  # reserved
    signature_key = reader.string()
    reader.string()  # signature
    if not reader.at_end():
        raise CertificateError("corrupt certificate: unexpected data after the signature")
    return Certificate(
        key_type=key_type,
        nonce=nonce,
        public_key=public_key,
        serial=serial,
        cert_type=cert_type,
        key_id=key_id,
        principals=tuple(principals),
        valid_after=valid_after,
        valid_before=valid_before,
        critical_options=critical_options,
        extensions=extensions,
        signature_key=signature_key,
        comment=comment,
    )


def public_key_blob(text: str | bytes) -> bytes:
    """The key blob of an OpenSSH public key line (``<type> <base64> [comment]``)."""
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    fields = text.split()
    if len(fields) < 2:
        raise CertificateError("not an OpenSSH public key: expected '<type> <base64 data>'")
    try:
        blob = binascii.a2b_base64(fields[1], **_STRICT_BASE64)
    except (binascii.Error, ValueError):
        raise CertificateError("not an OpenSSH public key: the data is not valid base64") from None
    if _Reader(blob).text() != fields[0]:
        raise CertificateError("corrupt public key: the line's type differs from the data's")
    return blob


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _options(data: bytes) -> dict[str, bytes]:
    """Critical options or extensions: (name, data) pairs, sorted and unique (E1)."""
    reader = _Reader(data)
    options: dict[str, bytes] = {}
    previous = ""
    while not reader.at_end():
        name = reader.text()
        value = reader.string()
        if name <= previous and options:
            raise CertificateError(f"corrupt certificate: option {name!r} out of order")
        previous = name
        # A flag is empty; a value is itself a string inside the data (PROTOCOL.certkeys).
        options[name] = _option_value(value)
    return options


def _option_value(value: bytes) -> bytes:
    if not value:
        return b""
    reader = _Reader(value)
    inner = reader.string()
    if not reader.at_end():
        raise CertificateError("corrupt certificate: unexpected data in an option's value")
    return inner


class _Reader:
    __slots__ = ("data", "offset")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def at_end(self) -> bool:
        return self.offset == len(self.data)

    def _take(self, size: int) -> bytes:
        end = self.offset + size
        if end > len(self.data):
            raise CertificateError("corrupt certificate: truncated data")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def uint32(self) -> int:
        return int.from_bytes(self._take(4), "big")

    def uint64(self) -> int:
        return int.from_bytes(self._take(8), "big")

    def string(self) -> bytes:
        return self._take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode("utf-8")
        except UnicodeDecodeError:
            raise CertificateError("corrupt certificate: a text field is not UTF-8") from None


def fingerprint(blob: bytes) -> str:
    """``SHA256:...`` of a key or certificate blob, as ssh-keygen -l prints it."""
    import hashlib

    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + binascii.b2a_base64(digest, newline=False).decode().rstrip("=")
