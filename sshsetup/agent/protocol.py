"""Talk to an ssh agent directly: list its identities, never hang
(docs/agent.md#agent-wire-protocol-framing-message-numbers-reply-cap).

Message framing: uint32 big-endian length, then a type byte and the body. We send
SSH_AGENTC_REQUEST_IDENTITIES (11) and expect SSH_AGENT_IDENTITIES_ANSWER (12): uint32
count, then per key ``string blob`` and ``string comment``. Replies over 256 KiB are refused,
as OpenSSH's own client does. Unix sockets on POSIX; the Win32-OpenSSH named pipe on Windows.
Stdlib only.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sshsetup.connect.certfile import CERT_KEY_TYPE_SUFFIX, fingerprint

SSH_AGENT_FAILURE = 5
SSH_AGENTC_REQUEST_IDENTITIES = 11
SSH_AGENT_IDENTITIES_ANSWER = 12
MAX_REPLY_BYTES = 256 * 1024
DEFAULT_TIMEOUT_SECONDS = 3.0
WINDOWS_AGENT_PIPE = r"\\.\pipe\openssh-ssh-agent"


class AgentError(Exception):
    """Why the agent could not be asked. ``kind`` is stable: missing, refused, not_socket,
    permission, timeout, protocol."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Identity:
    """One key the agent holds. ``blob`` is None when it came from ``ssh-add -l`` text."""

    key_type: str
    fingerprint: str  # SHA256:... as ssh-keygen -l prints it
    comment: str
    is_certificate: bool
    blob: bytes | None = None
    key_fingerprint: str | None = None  # for a certificate: its public key's fingerprint

    @classmethod
    def from_blob(cls, blob: bytes, comment: str) -> Identity:
        key_type = _Reader(blob).string().decode("ascii", errors="replace")
        is_certificate = key_type.endswith(CERT_KEY_TYPE_SUFFIX)
        plain = certificate_public_key_blob(blob) if is_certificate else blob
        return cls(
            key_type=key_type,
            fingerprint=fingerprint(blob),
            comment=comment,
            is_certificate=is_certificate,
            blob=blob,
            key_fingerprint=fingerprint(plain) if plain else None,
        )

    @property
    def public_key_fingerprint(self) -> str:
        """The fingerprint of the key itself (a certificate's key, not the certificate)."""
        return self.key_fingerprint or self.fingerprint


def request_identities_message() -> bytes:
    return struct.pack(">IB", 1, SSH_AGENTC_REQUEST_IDENTITIES)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def uint32(self) -> int:
        if self._offset + 4 > len(self._data):
            raise AgentError("protocol", "the agent's answer ends in the middle of a number")
        (value,) = struct.unpack_from(">I", self._data, self._offset)
        self._offset += 4
        return int(value)

    def string(self) -> bytes:
        length = self.uint32()
        if self._offset + length > len(self._data):
            raise AgentError("protocol", "the agent's answer ends in the middle of a string")
        value = self._data[self._offset : self._offset + length]
        self._offset += length
        return value


def parse_identities_answer(message: bytes) -> list[Identity]:
    """``message`` = type byte + body (the length prefix already removed)."""
    if not message:
        raise AgentError("protocol", "the agent sent an empty message")
    message_type = message[0]
    if message_type == SSH_AGENT_FAILURE:
        raise AgentError("protocol", "the agent answered SSH_AGENT_FAILURE to a key listing")
    if message_type != SSH_AGENT_IDENTITIES_ANSWER:
        raise AgentError("protocol", f"the agent answered message type {message_type}, expected 12")
    reader = _Reader(message[1:])
    count = reader.uint32()
    identities = []
    for _ in range(count):
        blob = reader.string()
        comment = reader.string().decode("utf-8", errors="replace")
        identities.append(Identity.from_blob(blob, comment))
    return identities


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def certificate_public_key_blob(blob: bytes) -> bytes | None:
    """The plain public key inside an OpenSSH certificate (PROTOCOL.certkeys), or None."""
    reader = _Reader(blob)
    try:
        cert_type = reader.string().decode("ascii", errors="replace")
        reader.string()  # nonce
        plain_type = cert_type[: -len(CERT_KEY_TYPE_SUFFIX)].encode()
        if cert_type.startswith("ssh-ed25519"):
            return _string(plain_type) + _string(reader.string())
        if cert_type.startswith("ssh-rsa"):
            exponent, modulus = reader.string(), reader.string()
            return _string(plain_type) + _string(exponent) + _string(modulus)
        if cert_type.startswith("ecdsa-sha2-"):
            curve, point = reader.string(), reader.string()
            return _string(plain_type) + _string(curve) + _string(point)
    except AgentError:
        return None
    return None


def _read_exact(read: Callable[[int], bytes], count: int) -> bytes:
    chunks: list[bytes] = []
    remaining = count
    while remaining:
        chunk = read(remaining)
        if not chunk:
            raise AgentError("protocol", "the agent closed the connection before answering")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _exchange(write: Callable[[bytes], object], read: Callable[[int], bytes]) -> bytes:
    write(request_identities_message())
    (length,) = struct.unpack(">I", _read_exact(read, 4))
    if length > MAX_REPLY_BYTES:
        raise AgentError("protocol", f"the agent's answer is {length} bytes, over the 256 KiB cap")
    return _read_exact(read, length)


def _list_over_unix_socket(path: str, timeout: float) -> bytes:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AgentError("missing", f"{path} does not exist") from None
    except PermissionError:
        raise AgentError("permission", f"{path} cannot be reached: permission denied") from None
    if not stat.S_ISSOCK(mode):
        raise AgentError("not_socket", f"{path} is not a socket")
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(timeout)
    try:
        connection.connect(path)
        return _exchange(connection.sendall, connection.recv)
    except ConnectionRefusedError:
        raise AgentError(
            "refused", f"{path} refuses connections: no agent is listening (a stale socket)"
        ) from None
    except PermissionError:
        raise AgentError("permission", f"{path} cannot be reached: permission denied") from None
    except TimeoutError:
        raise AgentError(
            "timeout", f"the agent at {path} did not answer in {timeout:g} s"
        ) from None
    except OSError as exc:
        raise AgentError("refused", f"{path}: {exc.strerror or exc}") from None
    finally:
        connection.close()


def _list_over_pipe(path: str, timeout: float) -> bytes:
    """Named pipes have no timeouts in Python, so the exchange runs on a daemon thread."""
    try:
        pipe = open(path, "rb+", buffering=0)  # noqa: SIM115 - closed below, maybe from the thread
    except FileNotFoundError:
        raise AgentError("missing", f"{path} does not exist (the agent is not running)") from None
    except PermissionError:
        raise AgentError("permission", f"{path} cannot be opened: permission denied") from None
    except OSError as exc:
        raise AgentError("refused", f"{path} cannot be opened: {exc.strerror or exc}") from None
    outcome: list[bytes | BaseException] = []

    def exchange() -> None:
        try:
            outcome.append(_exchange(pipe.write, pipe.read))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=exchange, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise AgentError("timeout", f"the agent at {path} did not answer in {timeout:g} s")
    pipe.close()
    result = outcome[0]
    if isinstance(result, AgentError):
        raise result
    if isinstance(result, BaseException):
        raise AgentError("protocol", f"talking to {path} failed: {result}")
    return result


def is_windows_pipe(address: str) -> bool:
    return address.replace("/", "\\").lower().startswith("\\\\.\\pipe\\")


def list_identities(
    address: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, pipe: bool | None = None
) -> list[Identity]:
    """The agent's identities. ``pipe`` forces the transport (default: by the address's form)."""
    use_pipe = is_windows_pipe(address) if pipe is None else pipe
    reply = (_list_over_pipe if use_pipe else _list_over_unix_socket)(address, timeout)
    return parse_identities_answer(reply)


_SSH_ADD_LINE = re.compile(r"^(\d+) (SHA256:\S+) (.*) \(([A-Z0-9-]+)\)$")


def parse_ssh_add_list(returncode: int, stdout: str, stderr: str) -> list[Identity]:
    """``ssh-add -l`` output, the fallback where the socket cannot be opened
    (docs/agent.md#listing-keys-with-ssh-add-exit-codes-and-messages)."""
    if returncode == 1:
        return []  # "The agent has no identities." (on stdout)
    if returncode != 0:
        message = (stderr or stdout).strip().splitlines()
        text = message[0] if message else f"ssh-add -l exited with status {returncode}"
        kind = "refused" if "refused" in text.lower() else "missing"
        if "denied" in text.lower():
            kind = "permission"
        raise AgentError(kind, text)
    identities = []
    for line in stdout.splitlines():
        match = _SSH_ADD_LINE.match(line.strip())
        if match:
            _, fingerprint, comment, type_label = match.groups()
            identities.append(
                Identity(
                    key_type=type_label,
                    fingerprint=fingerprint,
                    comment=comment,
                    is_certificate=type_label.endswith("-CERT"),
                )
            )
    return identities
