"""The ProxyCommand's tunnel to Baseten's SSH proxy (docs/baseten-protocol.md#proxy-handshake).

TCP to ``proxy_address`` (10 s connect timeout), TLS with the system trust store
(``SSL_CERT_FILE`` honoured) and SNI/hostname check on the proxy's host, then a
4-byte big-endian length + JWT, and one status byte (0 = accepted).

TLS runs over memory BIOs (``ssl.SSLObject``) rather than an ``SSLSocket``, so that the
relay can half-close (send close_notify and keep reading) and so that the threaded
relay can share the connection between two threads under one lock.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading

from sshsetup.connect.environment import PROXY_INSECURE_ENV
from sshsetup.errors import NetworkError

TYPE_CHECKING = False  # typing costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Mapping

CONNECT_TIMEOUT_SECONDS = 10.0
HANDSHAKE_TIMEOUT_SECONDS = 30.0  # TLS + status byte: the proxy may first reach the workload
READ_SIZE = 256 * 1024
STATUS_OK = 0
_TLS_HINT = (
    "Python could not verify the proxy's TLS certificate: point SSL_CERT_FILE at a CA bundle "
    "(e.g. the file `python -m certifi` prints), or install your system's CA certificates"
)


class ProxyError(NetworkError):
    """The proxy could not be reached or refused us (``refused``: it answered, and said no)."""

    def __init__(self, message: str, hint: str = "", refused: bool = False) -> None:
        super().__init__(message, hint)
        self.refused = refused


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port)."""
    if address.startswith("["):
        host, bracket, rest = address[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ProxyError(f"malformed proxy address {address!r}")
        port_text = rest[1:]
    else:
        host, colon, port_text = address.rpartition(":")
        if not colon or ":" in host:
            raise ProxyError(f"malformed proxy address {address!r} (expected host:port)")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ProxyError(f"malformed proxy address {address!r} (expected host:port)")
    return host, int(port_text)


class TlsChannel:
    """A TLS client over a connected socket; every method is safe from two threads."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext, server_hostname: str) -> None:
        self.sock = sock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(
            self._incoming, self._outgoing, server_hostname=server_hostname
        )
        self._lock = threading.Lock()
        self.leftover = b""  # plaintext that came with the status byte
        self.delivered = 0  # bytes of the SSH session relayed to ssh (after the status byte)
        self.eof: str | None = None  # "clean" (close_notify) or "abrupt" once the proxy closed
        self.write_closed = False  # ssh ended its side: whatever the proxy does next is the end

    def handshake(self) -> None:
        while True:
            with self._lock:
                try:
                    self._tls.do_handshake()
                    self._flush()
                    return
                except ssl.SSLWantReadError:
                    self._flush()
            self._receive_into_bio()

    def send(self, data: bytes) -> None:
        with self._lock:
            view = memoryview(data)
            while view:
                written = self._tls.write(view)
                view = view[written:]
            self._flush()

    def close_write(self) -> None:
        """Send close_notify and shut the socket's write side; reading goes on."""
        with self._lock:
            self.write_closed = True
            # SSLWantReadError: close_notify sent; the peer's comes later, through receive().
            with contextlib.suppress(ssl.SSLError):
                self._tls.unwrap()
            self._flush()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def receive(self) -> bytes:
        """Block for the next plaintext; b"" once the proxy closed the connection (see eof)."""
        while True:
            data = self.pending()
            if data or self.eof:
                return data
            self._receive_into_bio()

    def receive_once(self) -> bytes:
        """One socket read's worth of plaintext (maybe b"": a partial record or a control
        message), for a relay that must not block while the other direction has data."""
        self._receive_into_bio()
        return self.pending()

    def pending(self) -> bytes:
        """The plaintext already received (decrypted without waiting)."""
        chunks = []
        with self._lock:
            while True:
                try:
                    chunk = self._tls.read(READ_SIZE)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    self.eof = "clean"
                    break
                except ssl.SSLEOFError:
                    self.eof = "abrupt"
                    break
                if not chunk:  # SSLObject.read's answer to the peer's close_notify
                    self.eof = "clean"
                    break
                chunks.append(chunk)
            self._flush()  # reading may answer key updates
        return b"".join(chunks)

    def _receive_into_bio(self) -> None:
        data = self.sock.recv(READ_SIZE)
        with self._lock:
            if data:
                self._incoming.write(data)
            else:
                self._incoming.write_eof()

    def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self.sock.sendall(data)


def tls_context(env: Mapping[str, str]) -> ssl.SSLContext:
    if env.get(PROXY_INSECURE_ENV) == "1":
        sys.stderr.write(
            f"sshsetup: WARNING: {PROXY_INSECURE_ENV}=1: the SSH proxy's TLS certificate is NOT "
            "verified; anyone on the network path can impersonate it. For testing only.\n"
        )
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context()


def open_tunnel(
    address: str,
    jwt: str,
    context: ssl.SSLContext,
    handshake_timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
) -> TlsChannel:
    """Connect, handshake, present the JWT, check the status byte; returns the channel with
    no timeout left on its socket (sessions may idle for hours)."""
    host, port = split_address(address)
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS)
    except TimeoutError:
        raise ProxyError(
            f"no answer from the SSH proxy at {address} within {CONNECT_TIMEOUT_SECONDS:g} s",
            hint="check your network connection (a firewall may block the port)",
        ) from None
    except ConnectionRefusedError:
        raise ProxyError(
            f"the SSH proxy at {address} refused the TCP connection",
            hint="the proxy is down or the cached address is stale: "
            "`sshsetup cert fetch <host>` gets a fresh one",
        ) from None
    except OSError as exc:
        raise ProxyError(
            f"cannot reach the SSH proxy at {address} ({exc.strerror or exc})",
            hint="check your network connection",
        ) from None
    try:
        sock.settimeout(handshake_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        channel = TlsChannel(sock, context, host)
        _handshake(channel, address, handshake_timeout, jwt)
        sock.settimeout(None)
    except BaseException:
        sock.close()
        raise
    return channel


def _handshake(channel: TlsChannel, address: str, timeout: float, jwt: str) -> None:
    try:
        channel.handshake()
        token = jwt.encode()
        channel.send(len(token).to_bytes(4, "big") + token)
        received = channel.receive()
    except ssl.SSLCertVerificationError as exc:
        raise ProxyError(
            f"TLS verification of the SSH proxy at {address} failed ({exc.verify_message or exc})",
            hint=_TLS_HINT,
        ) from None
    except TimeoutError:
        raise ProxyError(
            f"the SSH proxy at {address} did not complete the handshake within {timeout:g} s",
            hint="the proxy or the workload is slow or stuck; try again",
        ) from None
    except ssl.SSLEOFError:
        received = b""
    except ssl.SSLError as exc:
        raise ProxyError(
            f"TLS with the SSH proxy at {address} failed ({exc.reason or exc})",
            hint="check that the proxy address is a TLS endpoint; " + _TLS_HINT,
        ) from None
    except OSError as exc:
        raise ProxyError(
            f"the SSH proxy at {address} dropped the connection ({exc.strerror or exc})",
            hint="is the workload and its SSH server running?",
        ) from None
    if not received:
        raise ProxyError(
            f"the SSH proxy at {address} closed the connection before accepting it",
            hint="is the workload running with SSH enabled? "
            "`sshsetup cert fetch <host>` gets a fresh session",
            refused=True,
        )
    if received[0] != STATUS_OK:
        raise ProxyError(
            f"the SSH proxy at {address} refused the connection (status {received[0]:#04x})",
            hint="is the workload running with SSH enabled? "
            "`sshsetup cert fetch <host>` gets a fresh session",
            refused=True,
        )
    channel.leftover = received[1:]
