"""End to end: environment hosts (`<env>.model-<model_id>.ssh.baseten.co`) through the real
ssh, the block's hook and ProxyCommand, to the sandbox's sshd. The sandbox's sshd exposes the
certificate a session logged in with ($SSH_USER_AUTH), whose key id names the deployment
(`model-<model_id>-<deployment_id>`): that is how a test sees which deployment it reached
(docs/baseten-protocol.md#what-an-environment-connection-costs)."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from helpers.sandbox import Workstation

from sshsetup.connect.certfile import parse_certificate
from sshsetup.sandbox.workloads import first_deployment

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

MODEL = "abc123"
ENVIRONMENT_HOST = f"production.model-{MODEL}.ssh.baseten.co"
PROBE = 'whoami; cat "$SSH_USER_AUTH"'


def connect(station: Workstation) -> tuple[str, str]:
    """ssh ENVIRONMENT_HOST: (the remote user, the key id of the certificate it logged in with)."""
    done = station.ssh(ENVIRONMENT_HOST, PROBE)
    assert done.returncode == 0, done.stderr
    user, auth = done.stdout.splitlines()[:2]
    method, key_type, blob = auth.split()[:3]
    assert method == "publickey"
    return user, parse_certificate(f"{key_type} {blob}").key_id


def api_calls(station: Workstation, before: Counter[str]) -> dict[str, int]:
    after = Counter(station.sandbox.controls.counts()) - before
    return {name: count for name, count in after.items() if not name.startswith("proxy_")}


def test_environment_host_logs_in_as_app_on_the_deployment_the_environment_serves(
    station: Workstation,
) -> None:
    user, key_id = connect(station)

    assert user == ("app" if os.geteuid() == 0 else station.sandbox.login_users[0])
    assert key_id == f"model-{MODEL}-{first_deployment(MODEL, 'production')}"
    assert station.sandbox.controls.counts()["environment"] == 1
    assert station.sandbox.controls.counts()["sign_model"] == 1
    assert station.cert_file(ENVIRONMENT_HOST).exists()


def test_promotion_reaches_the_new_deployment_and_a_warm_connect_signs_nothing(
    station: Workstation,
) -> None:
    controls = station.sandbox.controls
    first = connect(station)[1]

    before = Counter(controls.counts())
    assert connect(station)[1] == first
    assert api_calls(station, before) == {"environment": 1}  # warm: the lookup, no signing

    controls.workloads.promote(MODEL, "production", "dep2")
    before = Counter(controls.counts())
    assert connect(station)[1] == f"model-{MODEL}-dep2"
    assert api_calls(station, before) == {"environment": 1, "sign_model": 1}

    before = Counter(controls.counts())
    assert connect(station)[1] == f"model-{MODEL}-dep2"
    assert api_calls(station, before) == {"environment": 1}
    assert "deployment: dep2" in station.sshsetup("cert", "status").stdout


@pytest.mark.parametrize(
    ("change", "fragment"),
    [("no deployment", "has no current deployment"), ("removed", "was not found")],
)
def test_an_environment_serving_nothing_fails_clearly_and_never_reaches_the_old_deployment(
    station: Workstation, change: str, fragment: str
) -> None:
    connect(station)
    workloads = station.sandbox.controls.workloads
    if change == "removed":
        workloads.remove_environment(MODEL, "production")
    else:
        workloads.promote(MODEL, "production", None)
    sessions_before = station.sandbox.controls.calls("proxy_session")

    done = station.ssh(ENVIRONMENT_HOST, "true")

    assert done.returncode != 0
    assert fragment in done.stderr and f"environment production of model {MODEL}" in done.stderr
    assert "Traceback" not in done.stderr and "Could not resolve hostname" not in done.stderr
    assert station.sandbox.controls.calls("proxy_session") == sessions_before
    fetched = station.sshsetup("cert", "fetch", ENVIRONMENT_HOST)
    assert fetched.returncode == 7 and fragment in fetched.stderr
