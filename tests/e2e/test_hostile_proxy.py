"""The ProxyCommand, as ssh runs it, against a hostile SSH proxy on loopback: refusals and
bad status bytes, frames cut short, closes before the SSH handshake and mid-session, each
one clean line on stderr and exit 1; and, as a property over what the proxy sends, never a
traceback and never the JWT on stdout or stderr."""

from __future__ import annotations

import struct

import pytest
from helpers.homes import Home
from helpers.hostile_api import MODEL_HOST, fake_jwt
from helpers.hostile_proxy import (
    CLOSE_ABRUPT,
    CLOSE_CLEAN,
    CLOSE_RESET,
    Behaviour,
    HostileProxy,
    point_session_at,
    run_proxy_command,
)
from helpers.sandbox import prepare_connect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sshsetup.connect.credentials import shares_secret
from sshsetup.runtime import Runtime

pytestmark = pytest.mark.linux_only

JWT = fake_jwt(subject="proxy-session-secret")
BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"


def connect(home: Home, proxy: HostileProxy, behaviour: Behaviour) -> tuple[int, bytes, str]:
    """Run the ProxyCommand once against ``behaviour``: (exit code, stdout, stderr)."""
    proxy.behave = behaviour
    if not home.paths.key_file.exists():
        prepare_connect(home.paths)
    point_session_at(home.paths, MODEL_HOST, proxy.address, JWT)
    env = {**home.env, "SSL_CERT_FILE": str(proxy.ssl_cert_file)}
    result = run_proxy_command(Runtime(home.paths.runtime_dir).proxy, MODEL_HOST, env)
    stderr = result.stderr.decode(errors="replace")
    assert "Traceback" not in stderr
    assert not shares_secret(result.stdout.decode(errors="replace") + stderr, JWT)
    return result.returncode, result.stdout, stderr


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sshsetup: "), stderr
    return lines[0]


def test_the_jwt_goes_out_as_one_length_prefixed_frame(
    home: Home, hostile_proxy: HostileProxy
) -> None:
    code, stdout, _ = connect(home, hostile_proxy, Behaviour(reply=b"\x00" + BANNER))
    token = JWT.encode()
    assert hostile_proxy.received() == [struct.pack("!I", len(token)) + token]
    assert stdout == BANNER


@pytest.mark.parametrize("status", [b"\x01", b"\x02", b"\xff", b"\x01\x00"])
def test_a_refusal_status_byte_is_one_line_and_forgets_the_session(
    home: Home, hostile_proxy: HostileProxy, status: bytes
) -> None:
    code, stdout, stderr = connect(home, hostile_proxy, Behaviour(reply=status))
    assert (code, stdout) == (1, b"")
    assert f"refused the connection (status {status[0]:#04x})" in one_line(stderr)
    assert not (home.paths.session_dir / f"{MODEL_HOST}.json").exists()


@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour(reply=b""),  # hangs up without a status byte
        Behaviour(read_bytes=2, reply=b""),  # after half of the length prefix
        Behaviour(read_bytes=7, reply=b""),  # mid-token
        Behaviour(reply=b"", close=CLOSE_RESET),
    ],
)
def test_a_frame_cut_short_is_a_refusal(
    home: Home, hostile_proxy: HostileProxy, behaviour: Behaviour
) -> None:
    code, stdout, stderr = connect(home, hostile_proxy, behaviour)
    assert (code, stdout) == (1, b"")
    line = one_line(stderr)
    assert "closed the connection before accepting it" in line or "dropped" in line


# A reset discards what the client has not read yet: the proxy waits a moment before it.
LINGER_SECONDS = 0.5


@pytest.mark.parametrize("close", [CLOSE_CLEAN, CLOSE_ABRUPT, CLOSE_RESET])
def test_a_close_after_the_status_byte_is_before_the_ssh_handshake(
    home: Home, hostile_proxy: HostileProxy, close: str
) -> None:
    behaviour = Behaviour(reply=b"\x00", close=close, linger_seconds=LINGER_SECONDS)
    code, stdout, stderr = connect(home, hostile_proxy, behaviour)
    assert (code, stdout) == (1, b"")
    line = one_line(stderr)
    assert "before the SSH handshake" in line
    assert "not one byte came from the workload's SSH server" in line
    assert "mid-session" not in line


@pytest.mark.parametrize("close", [CLOSE_ABRUPT, CLOSE_RESET])
def test_a_close_after_ssh_bytes_is_mid_session(
    home: Home, hostile_proxy: HostileProxy, close: str
) -> None:
    behaviour = Behaviour(reply=b"\x00" + BANNER, close=close, linger_seconds=LINGER_SECONDS)
    code, stdout, stderr = connect(home, hostile_proxy, behaviour)
    assert (code, stdout) == (1, BANNER)
    assert "mid-session" in one_line(stderr)


def test_a_clean_close_after_ssh_bytes_ends_the_session_quietly(
    home: Home, hostile_proxy: HostileProxy
) -> None:
    behaviour = Behaviour(reply=b"\x00" + BANNER, close=CLOSE_CLEAN)
    code, stdout, stderr = connect(home, hostile_proxy, behaviour)
    assert (code, stdout, stderr) == (0, BANNER, "")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    read_bytes=st.one_of(st.none(), st.integers(0, 12)),
    reply=st.binary(max_size=64),
    close=st.sampled_from([CLOSE_CLEAN, CLOSE_ABRUPT, CLOSE_RESET]),
)
def test_any_proxy_behaviour_ends_cleanly_without_the_jwt(
    home: Home, hostile_proxy: HostileProxy, read_bytes: int | None, reply: bytes, close: str
) -> None:
    code, stdout, stderr = connect(home, hostile_proxy, Behaviour(read_bytes, reply, close))
    accepted = read_bytes is None and reply[:1] == b"\x00"
    # What followed an accepting status byte reached ssh unchanged (a reset may cut it short).
    assert reply[1:].startswith(stdout) if accepted else stdout == b""
    if code != 0:
        one_line(stderr)
    else:
        assert accepted and stderr == ""
