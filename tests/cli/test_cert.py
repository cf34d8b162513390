"""`sshsetup cert fetch|refresh|status|prune` in-process against the sandbox."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.serialization import load_ssh_private_key
from helpers.certs import sign_with_cryptography, write_ca
from helpers.sandbox import MODEL_HOST, TRAINING_HOST, Client

from sshsetup import __version__

pytestmark = pytest.mark.linux_only


def key_fingerprint(client: Client) -> str:
    """The fingerprint of the client's public key, as ssh-keygen prints it."""
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(client.paths.public_key_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()[1]


def _write_expired(client: Client, host: str, *, corrupt: bool = False) -> None:
    if corrupt:
        client.cert_file(host).write_text("ssh-ed25519-cert-v01@openssh.com AAAA\n")
        return
    key = load_ssh_private_key(client.paths.key_file.read_bytes(), None)
    now = int(time.time())
    ca = write_ca(client.home / "old-ca")
    text = sign_with_cryptography(ca, key, valid_after=now - 7200, valid_before=now - 60)  # type: ignore[arg-type]
    client.cert_file(host).write_text(text)


def test_fetch_signs_even_when_cached_and_reports_the_certificate(client: Client) -> None:
    first = client.run("cert", "fetch", TRAINING_HOST, "--json")
    assert first.returncode == 0, first.stderr
    entry = json.loads(first.stdout)
    assert entry["host"] == TRAINING_HOST
    assert entry["seconds_left"] > 0 and entry["principals"]
    assert "permit-pty" in entry["extensions"]
    assert entry["fingerprint"] == key_fingerprint(client)  # of the certified key
    again = client.run("cert", "fetch", TRAINING_HOST.upper())
    assert again.returncode == 0
    assert f"fetched a certificate for {TRAINING_HOST}: valid until" in again.stdout
    assert client.sandbox.controls.calls("sign_training") == 2


@pytest.mark.parametrize(
    ("fault", "changes", "exit_code", "fragment"),
    [
        ("bad_host", {}, 3, "characters not allowed"),
        ("401", {}, 7, "rejected the API key"),
        ("api_down", {}, 8, "refused the connection"),
        ("no_key", {"BASETEN_API_KEY": None}, 6, "no credential for remote"),
    ],
)
def test_fetch_failures_exit_with_their_code(
    client: Client, fault: str, changes: dict[str, str | None], exit_code: int, fragment: str
) -> None:
    host = "training-job-a;b-0.ssh.baseten.co" if fault == "bad_host" else TRAINING_HOST
    if fault == "401":
        client.sandbox.controls.fail_next(1, 401)
    elif fault == "api_down":
        client.sandbox.api_down()
    result = client.run("cert", "fetch", host, **changes)
    assert result.returncode == exit_code
    assert result.stderr.startswith("error: ") and fragment in result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.stderr
    assert client.sandbox.api_key not in result.stderr + result.stdout
    assert not client.cert_file(TRAINING_HOST).exists()


def test_fetch_json_error_is_one_json_object_on_stdout(client: Client) -> None:
    result = client.run("cert", "fetch", "training-job-a;b-0.ssh.baseten.co", "--json")
    assert result.returncode == 3, result
    document, end = json.JSONDecoder().raw_decode(result.stdout)
    assert result.stdout[end:].strip() == ""
    assert document["ok"] is False
    assert set(document["error"]) == {"message", "hint", "exit_code"}
    assert document["error"]["exit_code"] == 3
    assert "characters not allowed" in document["error"]["message"]
    assert document["error"]["hint"]
    assert result.stderr.startswith("error: ") and "characters not allowed" in result.stderr
    assert client.sandbox.controls.api_calls() == 0


def test_refresh_renews_only_what_needs_it_unless_forced(client: Client) -> None:
    for host in (TRAINING_HOST, MODEL_HOST):
        assert client.run("cert", "fetch", host).returncode == 0
    _write_expired(client, MODEL_HOST)
    controls = client.sandbox.controls
    signs = controls.calls("sign_training"), controls.calls("sign_model")
    result = client.run("cert", "refresh", "--json")
    assert result.returncode == 0, result.stderr
    hosts = {item["host"]: item for item in json.loads(result.stdout)["hosts"]}
    assert hosts[TRAINING_HOST]["refreshed"] is False
    assert hosts[MODEL_HOST]["refreshed"] is True and "expired" in hosts[MODEL_HOST]["reason"]
    assert (controls.calls("sign_training"), controls.calls("sign_model")) == (
        signs[0],
        signs[1] + 1,
    )
    forced = client.run("cert", "refresh", "--force", TRAINING_HOST)
    assert forced.returncode == 0 and f"{TRAINING_HOST}: refreshed" in forced.stderr
    assert controls.calls("sign_training") == signs[0] + 1


def test_refresh_tries_every_host_and_exits_with_the_first_failure(client: Client) -> None:
    for host in (TRAINING_HOST, MODEL_HOST):
        assert client.run("cert", "fetch", host).returncode == 0
    client.sandbox.controls.fail_next(1, 503)
    result = client.run("cert", "refresh", "--force", MODEL_HOST, TRAINING_HOST)
    assert result.returncode == 7
    assert f"{MODEL_HOST}: error: the Baseten API" in result.stderr
    assert f"{TRAINING_HOST}: refreshed" in result.stderr


def test_status_shows_validity_extensions_and_problems(client: Client) -> None:
    assert client.run("cert", "fetch", TRAINING_HOST).returncode == 0
    assert client.run("cert", "fetch", MODEL_HOST).returncode == 0
    _write_expired(client, MODEL_HOST, corrupt=True)
    result = client.run("cert", "status", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    hosts = {entry["host"]: entry for entry in report["hosts"]}
    assert hosts[TRAINING_HOST]["state"] == "valid" and hosts[TRAINING_HOST]["session"] is True
    assert hosts[TRAINING_HOST]["fingerprint"] == key_fingerprint(client)
    assert hosts[MODEL_HOST]["state"] == "unreadable"
    assert report["refresh_margin_seconds"] == 300
    human = client.run("cert", "status")
    assert "key id:" in human.stdout and "permit-pty" in human.stdout
    assert "left)" in human.stdout and "unreadable" in human.stdout


def test_prune_drops_expired_and_corrupt_but_keeps_valid(client: Client) -> None:
    for host in (TRAINING_HOST, MODEL_HOST, "model-x-y.ssh.baseten.co"):
        assert client.run("cert", "fetch", host).returncode == 0
    _write_expired(client, MODEL_HOST)
    _write_expired(client, "model-x-y.ssh.baseten.co", corrupt=True)
    result = client.run("cert", "prune", "--json")
    assert result.returncode == 0, result.stderr
    pruned = {item["host"] for item in json.loads(result.stdout)["pruned"]}
    assert pruned == {MODEL_HOST, "model-x-y.ssh.baseten.co"}
    assert client.cert_file(TRAINING_HOST).exists() and client.session_file(TRAINING_HOST).exists()
    for host in pruned:
        assert not client.cert_file(host).exists() and not client.session_file(host).exists()
    assert "nothing to prune" in client.run("cert", "prune").stdout


def test_status_with_nothing_cached(client: Client) -> None:
    result = client.run("cert", "status")
    assert (result.returncode, result.stdout.strip()) == (0, "no cached certificates")


def test_every_request_says_which_sshsetup_sent_it_unless_support_asks_otherwise(
    client: Client,
) -> None:
    assert client.run("cert", "fetch", TRAINING_HOST).returncode == 0
    assert client.sandbox.controls.client_versions == [__version__, __version__]  # search, sign

    overridden = client.run(
        "cert", "fetch", MODEL_HOST, SSHSETUP_CLIENT_VERSION="0.18.36-support-case"
    )
    assert overridden.returncode == 0, overridden.stderr
    assert client.sandbox.controls.client_versions[-1] == "0.18.36-support-case"

    bad = client.run("cert", "fetch", MODEL_HOST, SSHSETUP_CLIENT_VERSION="two\nlines")
    assert bad.returncode == 3 and "SSHSETUP_CLIENT_VERSION must be" in bad.stderr


def test_environment_hosts_are_fetched_refreshed_and_listed_with_their_deployment(
    client: Client,
) -> None:
    host = "production.model-m1.ssh.baseten.co"
    fetched = json.loads(client.run("cert", "fetch", host, "--json").stdout)
    first = fetched["deployment"]
    assert fetched["key_id"] == f"model-m1-{first}"

    client.sandbox.controls.workloads.promote("m1", "production", "dep9")
    refreshed = json.loads(client.run("cert", "refresh", "--json").stdout)

    (entry,) = [row for row in refreshed["hosts"] if row["host"] == host]
    assert (entry["refreshed"], entry["deployment"]) == (True, "dep9")
    assert "now serves deployment dep9" in entry["reason"] and first in entry["reason"]
    (status,) = json.loads(client.run("cert", "status", "--json").stdout)["hosts"]
    assert (status["key_id"], status["deployment"]) == ("model-m1-dep9", "dep9")


def test_status_judges_a_short_lived_certificate_as_the_hook_does(client: Client) -> None:
    """20 s certificates, backdated 60 s: just fetched, the hook reuses them, and status
    agrees (their life counts from the fetch, not from the backdated valid_after)."""
    client.sandbox.controls.cert_validity_seconds = 20
    assert client.run("cert", "fetch", TRAINING_HOST).returncode == 0
    hosts = json.loads(client.run("cert", "status", "--json").stdout)["hosts"]
    assert [(entry["state"], entry["problem"]) for entry in hosts] == [("valid", None)]
    signs = client.sandbox.controls.calls("sign_training")
    assert client.hook(TRAINING_HOST).stderr == ""
    assert client.sandbox.controls.calls("sign_training") == signs
