"""The ProxyCommand as ssh runs it, as a real process against the local sandbox (signing API,
TLS proxy, real sshd): the real ssh through it, its failures in one clean line; and the tunnel
and the relay in-process against the sandbox's proxy."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time

import pytest
from helpers.sandbox import TRAINING_HOST, Client, assert_one_clean_line

from sshsetup.connect.relay import relay_threads
from sshsetup.connect.tunnel import ProxyError, open_tunnel, tls_context

pytestmark = pytest.mark.linux_only


def test_real_ssh_runs_a_command_through_the_proxy(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    result = client.ssh(TRAINING_HOST, "echo hello from $USER")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("hello from")


def test_relay_carries_megabytes_both_ways(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    upload = os.urandom(3 * 1024 * 1024)
    result = client.ssh(TRAINING_HOST, "sha256sum; head -c 4000000 /dev/zero", stdin=upload)
    assert result.returncode == 0, result.stderr
    digest = hashlib.sha256(upload).hexdigest().encode()
    assert result.stdout.startswith(digest)
    assert (
        result.stdout.endswith(b"\0" * 1000)
        and len(result.stdout) == 4000000 + len(result.stdout.split(b"\n", 1)[0]) + 1
    )


def test_proxy_fetches_a_session_when_none_is_cached(client: Client) -> None:
    result = client.proxy(TRAINING_HOST, stdin=b"SSH-2.0-probe\r\n")
    assert result.stdout.startswith("SSH-2.0-OpenSSH"), result.stderr
    assert (result.returncode, result.stderr) == (0, "")  # stdin EOF, then the proxy hangs up
    assert client.sandbox.controls.calls("sign_training") == 1


def test_refused_jwt_is_one_line_and_forgets_the_session(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    client.sandbox.controls.refuse_jwt = True
    result = client.proxy(TRAINING_HOST)
    assert result.returncode == 1
    assert_one_clean_line(result, "refused the connection (status", "workload")
    assert not client.session_file(TRAINING_HOST).exists()


@pytest.mark.parametrize(
    ("fault", "changes", "fragments"),
    [
        ("api_down", {}, ("refused the connection",)),
        ("401", {}, ("rejected the API key",)),
        ("slow", {"SSHSETUP_API_TIMEOUT": "0.5"}, ("did not answer within 0.5 s",)),
    ],
)
def test_proxy_without_session_reports_api_failures(
    client: Client, fault: str, changes: dict[str, str | None], fragments: tuple[str, ...]
) -> None:
    if fault == "api_down":
        client.sandbox.api_down()
    elif fault == "slow":
        client.sandbox.controls.api_latency_seconds = 2.0
    else:
        client.sandbox.controls.fail_next(1, int(fault))
    result = client.proxy(TRAINING_HOST, **changes)
    assert (result.returncode, result.stdout) == (1, "")
    assert_one_clean_line(result, f"cannot get a session for {TRAINING_HOST}", *fragments)


def test_proxy_closing_mid_session_ends_ssh_with_a_clear_line(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    client.sandbox.controls.close_sessions_after_bytes = 3000
    started = time.monotonic()
    result = client.ssh(TRAINING_HOST, "head -c 1000000 /dev/zero")
    assert time.monotonic() - started < 30
    assert result.returncode != 0
    stderr = result.stderr.decode()
    assert "sshsetup: the SSH proxy closed the connection mid-session" in stderr
    assert "Traceback" not in stderr


def test_tls_verification_failure_names_the_fix(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    result = client.proxy(TRAINING_HOST, SSL_CERT_FILE=str(client.home / "no-such-bundle.pem"))
    assert result.returncode == 1
    assert_one_clean_line(result, "TLS verification of the SSH proxy", "SSL_CERT_FILE")


def test_insecure_switch_skips_verification_loudly(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    result = client.proxy(
        TRAINING_HOST,
        stdin=b"SSH-2.0-probe\r\n",
        SSL_CERT_FILE=str(client.home / "no-such-bundle.pem"),
        SSHSETUP_PROXY_INSECURE_SKIP_TLS_VERIFY="1",
    )
    assert result.stdout.startswith("SSH-2.0-OpenSSH")
    assert "WARNING: SSHSETUP_PROXY_INSECURE_SKIP_TLS_VERIFY=1" in result.stderr


def test_stale_proxy_address_is_a_refused_tcp_connection(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    session_path = client.session_file(TRAINING_HOST)
    session = json.loads(session_path.read_text())
    session["proxy_address"] = f"[::1]:{port}"
    session_path.write_text(json.dumps(session))
    result = client.proxy(TRAINING_HOST)
    assert result.returncode == 1
    assert_one_clean_line(result, f"[::1]:{port}", "refused the TCP connection")


def test_proxy_rejects_bad_host_names_before_anything(client: Client) -> None:
    result = client.proxy("training-job-$(id)-0.ssh.baseten.co")
    assert result.returncode == 1
    assert_one_clean_line(result, "characters not allowed")
    assert client.sandbox.controls.api_calls() == 0


# --- tunnel and relay in-process ------------------------------------------------------------


def _session(client: Client) -> dict[str, object]:
    assert client.hook(TRAINING_HOST).returncode == 0
    data: dict[str, object] = json.loads(client.session_file(TRAINING_HOST).read_text())
    return data


def test_tunnel_leaves_no_timeout_on_the_relay_socket(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _session(client)
    monkeypatch.setenv("SSL_CERT_FILE", str(client.sandbox.ssl_cert_file))
    channel = open_tunnel(str(session["proxy_address"]), str(session["jwt"]), tls_context({}))
    with channel.sock:
        assert channel.sock.gettimeout() is None  # sessions may idle for hours


def test_handshake_timeout_is_a_clear_error() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ProxyError, match="did not complete the handshake within 0.3 s"):
            open_tunnel(address, "jwt", tls_context({}), handshake_timeout=0.3)


def test_threaded_relay_half_closes_and_ends_with_the_proxy(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Windows relay, run here on pipes: banner out, stdin EOF, then the session ends."""
    session = _session(client)
    monkeypatch.setenv("SSL_CERT_FILE", str(client.sandbox.ssl_cert_file))
    channel = open_tunnel(str(session["proxy_address"]), str(session["jwt"]), tls_context({}))
    stdin_read, stdin_write = os.pipe()
    stdout_read, stdout_write = os.pipe()
    relay = threading.Thread(target=relay_threads, args=(channel, stdin_read, stdout_write))
    relay.start()
    banner = os.read(stdout_read, 4096)
    assert banner.startswith(b"SSH-2.0-OpenSSH")
    os.write(stdin_write, b"SSH-2.0-probe\r\n")
    os.close(stdin_write)  # ssh is done: close_notify + shutdown(SHUT_WR); sshd then hangs up
    relay.join(timeout=30)
    assert not relay.is_alive()
    channel.sock.close()
    for fd in (stdin_read, stdout_read, stdout_write):
        os.close(fd)
