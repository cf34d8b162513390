"""The key pair the block uses: reuse an existing one, or make an ed25519 pair with cryptography.

Never overwrites or loosens a key: the private key is created with O_EXCL and 0600 in a
0700 directory; an existing key is only read.
"""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import TRUSS_KEY_NAMES
from sshsetup.connect.certfile import fingerprint
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.errors import BadInput

SUPPORTED_KEY_TYPES = ("ssh-ed25519", "ssh-rsa")
_PRIVATE_HEADERS = (b"-----BEGIN OPENSSH PRIVATE KEY-----", b"-----BEGIN RSA PRIVATE KEY-----")


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    key_type: str
    fingerprint: str  # SHA256:... as ssh-keygen -l prints it
    created: bool = False


def read_public_key(path: Path) -> tuple[str, bytes]:
    """(key type, key blob) of an OpenSSH public key file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except IsADirectoryError:
        raise BadInput(
            f"{path} is a directory, not a public key", hint="move it away and run again"
        ) from None
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    fields = text.split()
    if len(fields) < 2 or fields[0] not in SUPPORTED_KEY_TYPES:
        raise BadInput(
            f"{path} is not an ed25519 or RSA public key in OpenSSH format",
            hint=f"move {path} and its private key away so sshsetup can make a new pair",
        )
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except ValueError:
        raise BadInput(
            f"{path}: the key data is not valid base64",
            hint="restore the file from its private key: ssh-keygen -y -f <private key>",
        ) from None
    return fields[0], blob


def check_private_key(path: Path) -> None:
    try:
        info = path.stat()
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(
            f"{path} is not a regular file, so it cannot be a private key",
            hint="move it away and run sshsetup setup again",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    if not head.lstrip().startswith(_PRIVATE_HEADERS):
        raise BadInput(
            f"{path} is not an OpenSSH private key",
            hint=f"move {path} away so sshsetup can make a new key pair there",
        )


def load_key_pair(private: Path) -> KeyPair:
    check_private_key(private)
    public = private.with_name(private.name + ".pub")
    if not public.exists():
        raise BadInput(
            f"{public} is missing (the private key {private} has no public half beside it)",
            hint=f"recreate it: ssh-keygen -y -f {private} > {public}",
        )
    key_type, blob = read_public_key(public)
    return KeyPair(private, public, key_type, fingerprint(blob))


def find_truss_key(truss_key_dir: Path) -> Path | None:
    for name in TRUSS_KEY_NAMES:
        candidate = truss_key_dir / name
        if candidate.is_file() and candidate.with_name(name + ".pub").is_file():
            return candidate
    return None


def generate_key_pair(private: Path, dry_run: bool = False) -> KeyPair:
    """Make a new ed25519 pair at ``private`` (refusing to touch anything that exists)."""
    import socket

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    directory = private.parent
    if directory.exists() and not directory.is_dir():
        raise BadInput(
            f"{directory} exists but is not a directory",
            hint="move it away, or set SSHSETUP_KEY_DIR to another directory",
        )
    key = Ed25519PrivateKey.generate()
    comment = f"sshsetup@{socket.gethostname()}"
    public_text = (
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + b" "
        + comment.encode()
        + b"\n"
    )
    public = private.with_name(private.name + ".pub")
    blob = base64.b64decode(public_text.split()[1])
    pair = KeyPair(private, public, "ssh-ed25519", fingerprint(blob), created=True)
    if dry_run:
        return pair
    ensure_private_dir(directory)
    private_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    _create_exclusive(private, private_bytes, 0o600)
    _create_exclusive(public, public_text, 0o644)
    return pair


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except FileExistsError:
        raise BadInput(
            f"{path} appeared while sshsetup was creating a key there; nothing was overwritten",
            hint="run sshsetup setup again to use the key that is there now",
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
