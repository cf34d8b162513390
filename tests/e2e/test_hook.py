"""The Match hook as ssh runs it (`python -I -S <runtime>/hook.py <host>`), as a real process
against the local sandbox's signing API: it fetches once, reuses what is valid, refetches
what is not, fails in one clean line and exit 0, and signs once under concurrency."""

from __future__ import annotations

import json
import stat
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.serialization import load_ssh_private_key
from helpers.certs import make_key_pair, sign_with_cryptography, write_ca
from helpers.sandbox import MODEL_HOST, TRAINING_HOST, Client, assert_one_clean_line

from sshsetup.connect.certfile import parse_certificate, public_key_blob
from sshsetup.connect.freshness import certificate_problem

pytestmark = pytest.mark.linux_only


def assert_nothing_half_written(client: Client) -> None:
    for directory in (client.paths.cert_dir, client.paths.session_dir):
        if directory.exists():
            assert not [p for p in directory.iterdir() if p.name.startswith(".sshsetup-tmp-")]


def test_hook_fetches_once_then_reuses_the_cached_certificate(client: Client) -> None:
    first = client.hook(TRAINING_HOST)
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    controls = client.sandbox.controls
    assert (controls.calls("search"), controls.calls("sign_training")) == (1, 1)
    cert = parse_certificate(client.cert_file(TRAINING_HOST).read_text())
    assert certificate_problem(cert, time.time(), 300, None) is None
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
    # As if fetched an hour ago (the rule counts a certificate's life from its fetch).
    session = json.loads(client.session_file(TRAINING_HOST).read_text())
    session["fetched_at"] = time.time() - 3600
    client.session_file(TRAINING_HOST).write_text(json.dumps(session))
    signs = client.sandbox.controls.calls("sign_training")
    result = client.hook(TRAINING_HOST)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert client.sandbox.controls.calls("sign_training") == signs + 1
    fresh = parse_certificate(client.cert_file(TRAINING_HOST).read_text())
    assert fresh.signature_key == public_key_blob(client.sandbox.ca_public_key)
    mine = public_key_blob(client.paths.public_key_file.read_text())
    assert certificate_problem(fresh, time.time(), 300, mine) is None


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
        ("no_key", {"BASETEN_API_KEY": None}, ("no credential for remote", "sshsetup login")),
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


def test_hook_without_connect_json_says_to_run_setup(client: Client) -> None:
    client.paths.installation_file.unlink()
    result = client.hook(TRAINING_HOST)
    assert result.returncode == 0
    assert_one_clean_line(result, "connect.json is missing", "sshsetup setup")


def hooks_at_once(client: Client, count: int) -> None:
    """``count`` hooks for TRAINING_HOST started together; each exits 0 without a word."""
    command = [*client.hook_argv(), TRAINING_HOST]
    runs = [
        subprocess.Popen(command, env=client.env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
    for run in runs:
        _, err = run.communicate(timeout=60)
        assert (run.returncode, err) == (0, b"")


def test_concurrent_hooks_for_one_host_sign_once(client: Client) -> None:
    client.sandbox.controls.api_latency_seconds = 0.5
    hooks_at_once(client, 3)
    assert client.sandbox.controls.calls("sign_training") == 1


@pytest.mark.parametrize("lifetime", [20, 60])
def test_short_lived_certificates_sign_once_for_parallel_and_consecutive_hooks(
    client: Client, lifetime: int
) -> None:
    """Certificates living less than the refresh margin (300 s), backdated 60 s by the
    sandbox: 16 hooks at once sign once, and the hooks that follow reuse the certificate."""
    client.sandbox.controls.cert_validity_seconds = lifetime
    hooks_at_once(client, 16)
    assert client.sandbox.controls.calls("sign_training") == 1
    for _ in range(3):
        assert client.hook(TRAINING_HOST).stderr == ""
    assert client.sandbox.controls.calls("sign_training") == 1
