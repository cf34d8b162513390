"""Relay bytes between ssh (stdin/stdout) and the proxy's TLS channel until either side ends.

POSIX: one thread with selectors over the two file descriptors. Windows (where select
cannot watch a pipe) and any stdin that cannot be selected: a second thread copies
stdin to the proxy while the main thread copies the proxy to stdout. Neither relay has a
timeout: an ssh session may be silent for hours.
Stdin EOF sends TLS close_notify and shuts the socket's write side (the other direction
keeps flowing); the proxy closing ends the relay. A close without TLS close_notify while
ssh's side is still open is reported as the proxy cutting the session; a close of any kind
before a single byte came from the workload's SSH server (the proxy accepted the JWT, then
the server turned the connection away) as a close before the SSH handshake.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import threading

from sshsetup.connect.tunnel import READ_SIZE, ProxyError, TlsChannel

TYPE_CHECKING = False  # typing costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Callable


class SshGone(Exception):
    """ssh closed our stdout: nothing left to relay to."""


def relay(channel: TlsChannel, in_fd: int, out_fd: int) -> None:
    """Relay until the proxy closes; raises ProxyError if it ends the session abruptly."""
    if os.name == "nt":
        relay_threads(channel, in_fd, out_fd)
    else:
        relay_select(channel, in_fd, out_fd)


def relay_select(channel: TlsChannel, in_fd: int, out_fd: int) -> None:
    selector = selectors.DefaultSelector()
    try:
        selector.register(in_fd, selectors.EVENT_READ)
    except (OSError, ValueError):  # e.g. a regular file: epoll refuses it
        selector.close()
        relay_threads(channel, in_fd, out_fd)
        return
    with selector:
        selector.register(channel.sock, selectors.EVENT_READ)
        try:
            _deliver(channel, out_fd, channel.leftover)
            if _ended(channel):  # the proxy's close came with the status byte
                return
            while True:
                for key, _ in selector.select():
                    if key.fd == in_fd:
                        data = os.read(in_fd, READ_SIZE)
                        if data:
                            _to_proxy(channel, data)
                        else:
                            selector.unregister(in_fd)
                            channel.close_write()
                    elif _to_ssh(channel, channel_read=channel.receive_once, out_fd=out_fd):
                        return
        except SshGone:
            return


def relay_threads(channel: TlsChannel, in_fd: int, out_fd: int) -> None:
    def stdin_to_proxy() -> None:
        try:
            while True:
                data = os.read(in_fd, READ_SIZE)
                if not data:
                    channel.close_write()
                    return
                _to_proxy(channel, data)
        except (OSError, ProxyError):
            # Wake the main thread's blocking read; it reports how the session ended.
            with contextlib.suppress(OSError):
                channel.sock.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=stdin_to_proxy, name="stdin-to-proxy", daemon=True).start()
    try:
        _deliver(channel, out_fd, channel.leftover)
        while not _to_ssh(channel, channel_read=channel.receive, out_fd=out_fd):
            pass
    except SshGone:
        return


def _to_proxy(channel: TlsChannel, data: bytes) -> None:
    try:
        channel.send(data)
    except OSError as exc:
        raise _broken(channel, BROKE, exc.strerror or str(exc)) from None


def _to_ssh(channel: TlsChannel, channel_read: Callable[[], bytes], out_fd: int) -> bool:
    """Copy what the proxy sent to ssh; True once the proxy closed cleanly."""
    try:
        data = channel_read()
    except OSError as exc:
        raise _broken(channel, BROKE, exc.strerror or str(exc)) from None
    _deliver(channel, out_fd, data)
    return _ended(channel)


def _ended(channel: TlsChannel) -> bool:
    """True once the proxy closed cleanly; ProxyError if it cut the session short."""
    if channel.eof is not None and not channel.write_closed and not channel.delivered:
        raise _broken(channel, CLOSED, f"{channel.eof} close")
    if channel.eof == "abrupt" and not channel.write_closed:
        raise _broken(channel, CLOSED, "no TLS close_notify")
    return channel.eof is not None


BROKE = "the connection to the SSH proxy broke"
CLOSED = "the SSH proxy closed the connection"


def _broken(channel: TlsChannel, what: str, detail: str) -> ProxyError:
    """The connection ended while ssh still wanted it: before the SSH handshake (not one
    byte from the workload's SSH server after the status byte), or mid-session."""
    if not channel.delivered:
        return ProxyError(
            f"{what} before the SSH handshake: the proxy accepted the session, but not one "
            f"byte came from the workload's SSH server ({detail})",
            hint="the workload's SSH server did not answer or turned the connection away "
            "(too many at once?); try again in a moment",
        )
    return ProxyError(
        f"{what} mid-session ({detail})",
        hint="the proxy or the workload went away; connect again",
    )


def _deliver(channel: TlsChannel, out_fd: int, data: bytes) -> None:
    _write_all(out_fd, data)
    channel.delivered += len(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        raise SshGone() from None
