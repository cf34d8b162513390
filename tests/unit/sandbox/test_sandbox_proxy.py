"""The sandbox's TLS proxy (sshsetup.sandbox.proxy), over real TLS: Baseten's handshake, the
JWT it checks, and the relay to the real sshd."""

from __future__ import annotations

import socket
import time

import pytest
from helpers.sandbox import ClientKey, proxy_handshake, receive_all, sign

from sshsetup.sandbox import Sandbox
from sshsetup.sandbox.proxy import STATUS_UPSTREAM_DOWN

pytestmark = pytest.mark.linux_only


def test_proxy_accepts_the_jwt_and_relays_to_the_real_sshd(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    body = sign(sandbox, client_key)
    connection, status = proxy_handshake(sandbox, body["jwt"], body["proxy_address"])
    with connection:
        assert status == b"\x00"
        assert connection.recv(64).startswith(b"SSH-2.0-OpenSSH")
        connection.sendall(b"SSH-2.0-sandbox-test\r\n")
        assert connection.recv(4096)  # sshd's key exchange init: bytes flow both ways
    assert sandbox.controls.calls("proxy_session") == 1


def test_proxy_certificate_verifies_for_the_loopback_address_too(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    token = sign(sandbox, client_key)["jwt"]
    connection, status = proxy_handshake(sandbox, token, f"127.0.0.1:{sandbox.proxy_port}")
    with connection:
        assert status == b"\x00"


@pytest.mark.parametrize("fault", ["tampered", "refused by control", "empty"])
def test_proxy_refuses_bad_or_refused_jwts_with_a_nonzero_status(
    sandbox: Sandbox, client_key: ClientKey, fault: str
) -> None:
    token = sign(sandbox, client_key)["jwt"]
    if fault == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif fault == "refused by control":
        sandbox.controls.refuse_jwt = True
    else:
        token = ""
    connection, status = proxy_handshake(sandbox, token)
    with connection:
        assert status not in (b"", b"\x00")
        assert receive_all(connection) == b""  # and nothing is relayed
    assert sandbox.controls.calls("proxy_refused") == 1
    assert sandbox.controls.calls("proxy_session") == 0


def test_proxy_closes_sessions_after_the_byte_limit(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    sandbox.controls.close_sessions_after_bytes = 10
    connection, status = proxy_handshake(sandbox, sign(sandbox, client_key)["jwt"])
    with connection:
        assert status == b"\x00"
        assert receive_all(connection) == b"SSH-2.0-Op"


@pytest.mark.parametrize("close", [False, True])
def test_an_on_demand_session_that_takes_time_to_start_is_refused_or_closed_until_it_is_up(
    sandbox: Sandbox, client_key: ClientKey, close: bool
) -> None:
    sandbox.controls.workloads.set_activation("slow", 1.5, close=close)
    token = sign(sandbox, client_key, job_id="slow")["jwt"]

    first, first_status = proxy_handshake(sandbox, token)
    started = sandbox.controls.workloads.auth_codes("slow")  # the connection started it
    time.sleep(1.6)
    later, later_status = proxy_handshake(sandbox, token)

    with first, later:
        assert first_status == (b"" if close else bytes([STATUS_UPSTREAM_DOWN]))
        assert [session["replica_id"] for session in started] == ["g00r0"]
        assert later_status == b"\x00"
    refusals = sandbox.controls.calls("proxy_closed" if close else "proxy_refused")
    assert refusals == 1 and sandbox.controls.calls("proxy_session") == 1


def test_a_session_idle_beyond_the_idle_timeout_is_closed(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    sandbox.controls.proxy_idle_timeout_seconds = 0.5
    connection, status = proxy_handshake(sandbox, sign(sandbox, client_key)["jwt"])
    with connection:
        assert status == b"\x00"
        assert receive_all(connection).startswith(b"SSH-2.0-OpenSSH")  # then nothing, then EOF
    assert sandbox.controls.calls("proxy_idle_closed") == 1


def test_a_proxy_that_stops_forwarding_keeps_the_connection_open_and_relays_nothing(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    sandbox.controls.proxy_forwarding = False
    connection, status = proxy_handshake(sandbox, sign(sandbox, client_key)["jwt"])
    with connection:
        assert status == b"\x00"
        connection.settimeout(1.0)
        with pytest.raises(socket.timeout):
            connection.recv(64)  # sshd's banner is held back, and the connection stays open
        sandbox.controls.proxy_forwarding = True
        connection.sendall(b"SSH-2.0-sandbox-test\r\n")  # wakes the relay up
        assert connection.recv(64).startswith(b"SSH-2.0-OpenSSH")
