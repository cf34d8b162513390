"""The sandbox's signing API (sshsetup.sandbox.api), over real HTTP: Baseten's endpoints,
certificates signed by its CA, its errors, and the controls that inject faults."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import serialization
from helpers.sandbox import (
    CLIENT_VERSION,
    ClientKey,
    call_api,
    sign,
    training_sign_path,
)

from sshsetup.sandbox import Sandbox, jwt
from sshsetup.sandbox.sshd import local_user, running_as_root

pytestmark = pytest.mark.linux_only

SEARCH = "/v1/training_jobs/search"
MODEL_SIGN = "/v1/models/m1/deployments/d1/ssh/sign"


def load_certificate(text: str) -> serialization.SSHCertificate:
    certificate = serialization.load_ssh_public_identity(text.encode())
    assert isinstance(certificate, serialization.SSHCertificate)
    return certificate


def expected_principals(principal: str) -> list[bytes]:
    extra = [] if running_as_root() else [local_user()]
    return [name.encode() for name in [principal, *extra]]


def test_search_finds_the_job_and_its_project_and_records_the_client_version(
    sandbox: Sandbox,
) -> None:
    first, again = (call_api(sandbox, SEARCH, {"job_id": "5wo5n3y"}) for _ in range(2))
    assert first.status == 200
    (job,) = first.body["training_jobs"]
    assert job["id"] == "5wo5n3y"
    assert job["training_project"]["id"]
    assert again.body == first.body  # a job stays in its project
    assert sandbox.controls.calls("search") == 2
    assert sandbox.controls.client_versions == [CLIENT_VERSION, CLIENT_VERSION]


def test_search_without_a_job_id_lists_the_jobs_in_the_statuses_asked_newest_first(
    sandbox: Sandbox,
) -> None:
    workloads = sandbox.controls.workloads
    for job_id in ("old", "mid", "new"):
        workloads.job(job_id)  # the sandbox knows a job once it is named
        time.sleep(1.1)  # created_at has whole seconds
    workloads.set_job_status("mid", "TRAINING_JOB_DEPLOYING")
    workloads.set_job_status("old", "TRAINING_JOB_COMPLETED")

    running = call_api(sandbox, SEARCH, {"statuses": ["TRAINING_JOB_RUNNING"]}).body
    starting_or_running = call_api(
        sandbox, SEARCH, {"statuses": ["TRAINING_JOB_RUNNING", "TRAINING_JOB_DEPLOYING"]}
    ).body
    everything = call_api(sandbox, SEARCH, {"statuses": None}).body

    assert [job["id"] for job in running["training_jobs"]] == ["new"]
    assert [job["id"] for job in starting_or_running["training_jobs"]] == ["new", "mid"]
    assert [job["id"] for job in everything["training_jobs"]] == ["new", "mid", "old"]
    assert all(job["created_at"].endswith("Z") for job in everything["training_jobs"])


def test_models_lists_each_model_with_its_production_and_development_deployment(
    sandbox: Sandbox,
) -> None:
    assert call_api(sandbox, "/v1/models", method="GET").body == {"models": []}
    sandbox.controls.workloads.add_model("m1", "llama", "d1", "d2")
    sandbox.controls.workloads.add_model("m2", "whisper", None)

    models = call_api(sandbox, "/v1/models", method="GET").body["models"]

    assert [
        (m["id"], m["production_deployment_id"], m["development_deployment_id"]) for m in models
    ] == [
        ("m1", "d1", "d2"),
        ("m2", None, None),
    ]
    production = call_api(sandbox, "/v1/models/m1/environments/production", method="GET").body
    assert production["current_deployment"]["id"] == "d1"
    assert sandbox.controls.calls("models") == 2


def test_training_sign_returns_a_certificate_for_the_key_signed_by_the_ca(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    before = int(time.time())
    body = sign(sandbox, client_key, job_id="job7", node="3")
    certificate = load_certificate(body["ssh_certificate"])
    certificate.verify_cert_signature()
    ca_key = serialization.load_ssh_public_key(sandbox.ca_public_key.encode())
    assert certificate.signature_key() == ca_key
    submitted = serialization.load_ssh_public_key(client_key.public_text.encode())
    assert certificate.public_key() == submitted
    assert certificate.type == serialization.SSHCertificateType.USER
    assert certificate.key_id == b"training-job-job7-3"
    assert certificate.valid_principals == expected_principals("baseten")
    assert before - 61 <= certificate.valid_after <= before - 59
    assert certificate.valid_before - certificate.valid_after == 3600 + 60
    assert set(certificate.extensions) == {
        b"permit-pty",
        b"permit-port-forwarding",
        b"permit-agent-forwarding",
    }
    assert body["proxy_address"] == sandbox.proxy_address
    assert body["proxy_address"].startswith("localhost:")
    assert sandbox.controls.counts() == {"search": 1, "sign_training": 1}


@pytest.mark.parametrize(
    ("path", "body_extra", "key_id"),
    [
        (MODEL_SIGN, {}, b"model-m1-d1"),
        (MODEL_SIGN, {"replica_id": "pod-xyz-abc"}, b"model-m1-d1-pod-xyz-abc"),
        ("/v1/models/m1/ssh/sign", {}, b"model-m1"),
        ("/v1/models/m1/environments/production/ssh/sign", {}, b"model-m1-production"),
    ],
    ids=["deployment", "deployment and replica", "model (later truss)", "environment"],
)
def test_model_sign_names_the_workload_and_the_app_principal(
    sandbox: Sandbox, client_key: ClientKey, path: str, body_extra: dict[str, str], key_id: bytes
) -> None:
    answer = call_api(sandbox, path, {"public_key": client_key.public_text, **body_extra})
    assert answer.status == 200
    certificate = load_certificate(answer.body["ssh_certificate"])
    assert certificate.key_id == key_id
    assert certificate.valid_principals == expected_principals("app")
    claims = jwt.decode(answer.body["jwt"], sandbox._jwt_secret)
    assert claims["model_id"] == "m1" and claims["sub"] == key_id.decode()
    assert claims["exp"] == certificate.valid_before
    assert sandbox.controls.calls("sign_model") == 1


def test_ssh_keygen_shows_the_principals_and_extensions(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    sign(sandbox, client_key)
    listing = subprocess.run(
        ["ssh-keygen", "-L", "-f", str(client_key.certificate)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "ssh-ed25519-cert-v01@openssh.com user certificate" in listing
    assert 'Key ID: "training-job-job1-0"' in listing
    principals = listing.split("Principals:")[1].split("Critical Options:")[0].split()
    assert principals == [p.decode() for p in expected_principals("baseten")]
    extensions = listing.split("Extensions:")[1].split()
    assert extensions == ["permit-agent-forwarding", "permit-port-forwarding", "permit-pty"]


def test_agent_forwarding_and_validity_follow_the_controls(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    sandbox.controls.agent_forwarding = False
    sandbox.controls.cert_validity_seconds = 5
    certificate = load_certificate(sign(sandbox, client_key)["ssh_certificate"])
    assert b"permit-agent-forwarding" not in certificate.extensions
    assert certificate.valid_before - certificate.valid_after == 5 + 60


@pytest.mark.parametrize(
    "authorization",
    ["", "Api-Key wrong-key", "Basic {key}", "Api-Key", "Bearer not-an-issued-token"],
    ids=["missing", "wrong key", "wrong scheme", "empty key", "unknown bearer token"],
)
def test_requests_without_the_right_api_key_get_401_json(
    sandbox: Sandbox, client_key: ClientKey, authorization: str
) -> None:
    answer = call_api(
        sandbox, SEARCH, {"job_id": "j"}, authorization=authorization.format(key=sandbox.api_key)
    )
    assert answer.status == 401
    assert answer.body["error"]
    assert sandbox.api_key not in answer.body["error"]


def test_bearer_takes_the_api_key_or_an_issued_access_token(sandbox: Sandbox) -> None:
    token = sandbox.controls.issue_access_token()

    for credential in (sandbox.api_key, token):
        answer = call_api(sandbox, SEARCH, {"job_id": "j"}, authorization=f"Bearer {credential}")
        assert answer.status == 200, answer.body
    as_key = call_api(sandbox, SEARCH, {"job_id": "j"}, authorization=f"Api-Key {token}")
    assert as_key.status == 401
    assert sandbox.controls.authorization_schemes == ["Bearer", "Bearer", "Api-Key"]


@pytest.mark.parametrize(
    ("path", "raw_body", "mentions"),
    [
        (SEARCH, b"{not json", "not valid JSON"),
        (SEARCH, b'["job"]', "JSON object"),
        (SEARCH, b'{"statuses": "TRAINING_JOB_RUNNING"}', "statuses"),
        (SEARCH, b'{"job_id": 7}', "job_id"),
        (training_sign_path("j"), b'{"replica_id": "0"}', "public_key"),
        (training_sign_path("j"), b'{"public_key": "ssh-ed25519 AAAA", "replica_id": "0"}', "key"),
        (MODEL_SIGN, b'{"public_key": "hello"}', "public key"),
        (MODEL_SIGN, b'{"public_key": 42}', "public_key"),
    ],
)
def test_bad_bodies_get_400_json(
    sandbox: Sandbox, path: str, raw_body: bytes, mentions: str
) -> None:
    answer = call_api(sandbox, path, raw_body=raw_body)
    assert answer.status == 400
    assert mentions in answer.body["error"]


def test_a_certificate_or_a_missing_replica_is_refused(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    certificate_line = sign(sandbox, client_key)["ssh_certificate"]
    refused = call_api(
        sandbox, training_sign_path("j"), {"public_key": certificate_line, "replica_id": "0"}
    )
    assert refused.status == 400 and "certificate" in refused.body["error"]
    no_replica = call_api(sandbox, training_sign_path("j"), {"public_key": client_key.public_text})
    assert no_replica.status == 400 and "replica_id" in no_replica.body["error"]


def test_unknown_endpoints_and_wrong_projects_get_404_json(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    assert call_api(sandbox, "/v1/nothing", {}).status == 404
    wrong_project = call_api(
        sandbox,
        "/v1/training_projects/other/jobs/j/ssh/sign",
        {"public_key": client_key.public_text, "replica_id": "0"},
    )
    assert wrong_project.status == 404
    assert "not found" in wrong_project.body["error"]
    get = call_api(sandbox, SEARCH, method="GET")
    assert get.status == 405 and get.body["error"]


def test_forced_statuses_answer_the_next_requests_then_stop(sandbox: Sandbox) -> None:
    sandbox.controls.fail_next(2, 500)
    sandbox.controls.fail_next(1, 403)
    statuses = [call_api(sandbox, SEARCH, {"job_id": "j"}).status for _ in range(4)]
    assert statuses == [500, 500, 403, 200]
    assert sandbox.controls.calls("search") == 4
    assert sandbox.controls.api_calls() == 4
    with pytest.raises(ValueError):
        sandbox.controls.fail_next(1, 200)


def test_added_latency_delays_every_answer(sandbox: Sandbox) -> None:
    sandbox.controls.api_latency_seconds = 0.3
    with pytest.raises(TimeoutError):
        call_api(sandbox, SEARCH, {"job_id": "j"}, timeout=0.05)
    started = time.monotonic()
    assert call_api(sandbox, SEARCH, {"job_id": "j"}).status == 200
    assert time.monotonic() - started >= 0.3


def test_api_down_refuses_connections_until_up_again_on_the_same_port(sandbox: Sandbox) -> None:
    url = sandbox.api_url
    sandbox.api_down()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5)
    sandbox.api_up()
    assert sandbox.api_url == url
    assert call_api(sandbox, SEARCH, {"job_id": "j"}).status == 200
