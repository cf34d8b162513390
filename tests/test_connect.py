"""The Match hook and the ProxyCommand as real subprocesses against the local sandbox
(signing API + TLS proxy + real sshd), plus the relay and tunnel in-process."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest
from certkit import make_key_pair, sign_with_cryptography, write_ca
from cryptography.hazmat.primitives.serialization import load_ssh_private_key
from plugin_connect import HOOK, MODEL_HOST, TRAINING_HOST, Client, assert_one_clean_line

from sshsetup.connect.certfile import parse_certificate, public_key_blob
from sshsetup.connect.relay import relay_threads
from sshsetup.connect.tunnel import ProxyError, open_tunnel, tls_context

pytestmark = pytest.mark.linux_only
pytest_plugins = ["plugin_sandbox", "plugin_connect"]  # harmless once conftest lists them


def assert_nothing_half_written(client: Client) -> None:
    for directory in (client.paths.cert_dir, client.paths.session_dir):
        if directory.exists():
            assert not [p for p in directory.iterdir() if p.name.startswith(".sshsetup-tmp-")]


# --- the hook -------------------------------------------------------------------------------


def test_hook_fetches_once_then_reuses_the_cached_certificate(client: Client) -> None:
    first = client.hook(TRAINING_HOST)
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    controls = client.sandbox.controls
    assert (controls.calls("search"), controls.calls("sign_training")) == (1, 1)
    cert = parse_certificate(client.cert_file(TRAINING_HOST).read_text())
    assert cert.problem(time.time(), 300, None) is None
    session = json.loads(client.session_file(TRAINING_HOST).read_text())
    assert session["proxy_address"] == client.sandbox.proxy_address
    assert session["jwt_expires_at"] > time.time()
    for path in (client.cert_file(TRAINING_HOST), client.session_file(TRAINING_HOST)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (client.paths.cert_dir, client.paths.session_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700

    calls = controls.api_calls()
    for _ in range(3):
        again = client.hook(TRAINING_HOST)
        assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert controls.api_calls() == calls  # zero API calls with a valid cached certificate


def test_hook_signs_model_hosts_with_one_call(client: Client) -> None:
    result = client.hook(MODEL_HOST.upper())  # ssh hands %h over in the typed case
    assert (result.returncode, result.stderr) == (0, "")
    assert client.sandbox.controls.calls("sign_model") == 1
    assert client.cert_file(MODEL_HOST).exists()  # the lower-cased name, as CertificateFile %h


def _stale_certificate(client: Client, case: str) -> str:
    ca = write_ca(client.home / "other-ca")
    now = int(time.time())
    key = load_ssh_private_key(client.paths.key_file.read_bytes(), None)
    if case == "expiring within the margin":
        return sign_with_cryptography(ca, key, valid_after=now - 3600, valid_before=now + 120)  # type: ignore[arg-type]
    if case == "expired":
        return sign_with_cryptography(ca, key, valid_after=now - 3600, valid_before=now - 10)  # type: ignore[arg-type]
    if case == "not yet valid":
        return sign_with_cryptography(ca, key, valid_after=now + 600, valid_before=now + 3600)  # type: ignore[arg-type]
    if case == "for another key":
        other = make_key_pair(client.home / "other-key")
        return sign_with_cryptography(ca, other)
    assert case == "corrupt"
    return "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQ=\n"


@pytest.mark.parametrize(
    "case",
    ["expiring within the margin", "expired", "not yet valid", "for another key", "corrupt"],
)
def test_hook_refetches_an_unusable_certificate(client: Client, case: str) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    client.cert_file(TRAINING_HOST).write_text(_stale_certificate(client, case))
    signs = client.sandbox.controls.calls("sign_training")
    result = client.hook(TRAINING_HOST)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert client.sandbox.controls.calls("sign_training") == signs + 1
    fresh = parse_certificate(client.cert_file(TRAINING_HOST).read_text())
    assert fresh.signature_key == public_key_blob(client.sandbox.ca_public_key)
    mine = public_key_blob(client.paths.public_key_file.read_text())
    assert fresh.problem(time.time(), 300, mine) is None


def test_hook_refetches_when_the_session_token_expires(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    session_path = client.session_file(TRAINING_HOST)
    session = json.loads(session_path.read_text())
    session["fetched_at"], session["jwt_expires_at"] = time.time() - 3600, time.time() + 5
    session_path.write_text(json.dumps(session))
    signs = client.sandbox.controls.calls("sign_training")
    assert client.hook(TRAINING_HOST).returncode == 0
    assert client.sandbox.controls.calls("sign_training") == signs + 1


def test_no_fetch_never_calls_the_api(client: Client) -> None:
    result = client.hook(TRAINING_HOST, SSHSETUP_NO_FETCH="1")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert client.sandbox.controls.api_calls() == 0
    assert not client.cert_file(TRAINING_HOST).exists()


@pytest.mark.parametrize(
    ("fault", "changes", "fragments"),
    [
        ("api_down", {}, ("refused the connection",)),
        ("401", {}, ("rejected the API key", "sshsetup login")),
        ("404", {}, ("not found or is not running",)),
        ("503", {}, ("failed (HTTP 503",)),
        ("slow", {"SSHSETUP_API_TIMEOUT": "0.5"}, ("did not answer within 0.5 s",)),
        ("no_key", {"BASETEN_API_KEY": None}, ("no API key for remote", "sshsetup login")),
    ],
)
def test_hook_failures_give_one_line_and_exit_0(
    client: Client, fault: str, changes: dict[str, str | None], fragments: tuple[str, ...]
) -> None:
    controls = client.sandbox.controls
    if fault == "api_down":
        client.sandbox.api_down()
    elif fault == "slow":
        controls.api_latency_seconds = 2.0
    elif fault.isdigit():
        controls.fail_next(1, int(fault))
    result = client.hook(TRAINING_HOST, **changes)
    assert (result.returncode, result.stdout) == (0, "")
    assert_one_clean_line(result, f"cannot get a certificate for {TRAINING_HOST}", *fragments)
    assert client.sandbox.api_key not in result.stderr
    assert not client.cert_file(TRAINING_HOST).exists()
    assert_nothing_half_written(client)


@pytest.mark.parametrize(
    ("host", "fragment"),
    [
        ("training-job-x;touch /tmp/pwn-0.ssh.baseten.co", "characters not allowed"),
        ("example.com", "not a Baseten SSH host name"),
    ],
)
def test_hook_rejects_bad_host_names(client: Client, host: str, fragment: str) -> None:
    result = client.hook(host)
    assert (result.returncode, result.stdout) == (0, "")
    assert_one_clean_line(result, fragment)
    assert client.sandbox.controls.api_calls() == 0


def test_hook_without_connect_settings_says_to_run_setup(client: Client) -> None:
    client.paths.connect_settings.unlink()
    result = client.hook(TRAINING_HOST)
    assert result.returncode == 0
    assert_one_clean_line(result, "connect.json is missing", "sshsetup setup")


def test_concurrent_hooks_for_one_host_sign_once(client: Client) -> None:
    client.sandbox.controls.api_latency_seconds = 0.5
    command = [sys.executable, "-I", "-S", str(HOOK), str(client.paths.key_dir), TRAINING_HOST]
    runs = [
        subprocess.Popen(command, env=client.env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        for _ in range(3)
    ]
    for run in runs:
        _, err = run.communicate(timeout=60)
        assert (run.returncode, err) == (0, b"")
    assert client.sandbox.controls.calls("sign_training") == 1


# --- the ProxyCommand -----------------------------------------------------------------------


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


# --- the fast path's imports ----------------------------------------------------------------


def test_cached_fast_path_imports_only_builtin_lean_modules(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    baseline = _imported([sys.executable, "-I", "-S", "-X", "importtime", "-c", "import os"])
    command = [sys.executable, "-I", "-S", "-X", "importtime", str(HOOK)]
    hook_modules = _imported([*command, str(client.paths.key_dir), TRAINING_HOST], client.env)
    extra = {name for name in hook_modules - baseline if not name.startswith("sshsetup")}
    assert extra <= {"__future__", "binascii", "_json", "time"}, extra
    forbidden = {"typer", "keyring", "cryptography", "rich", "urllib", "json", "re", "ssl"}
    assert not {name.split(".")[0] for name in hook_modules} & forbidden


def _imported(command: list[str], env: dict[str, str] | None = None) -> set[str]:
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert completed.returncode == 0
    names = set()
    for line in completed.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names
