"""Baseten's host name grammar (docs/baseten-protocol.md#hostname-grammar), the characters it
lets through, and the builders that are its inverse (what is built parses back)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sshsetup.baseten import (
    ENVIRONMENT,
    MODEL,
    TRAINING,
    HostName,
    HostNameError,
    environment_host,
    model_host,
    parse_host,
    training_host,
    workload_matching,
    workload_of,
)


@pytest.mark.parametrize(
    ("text", "job_id", "node", "remote", "api_prefix"),
    [
        ("training-job-5wo5n3y-0.ssh.baseten.co", "5wo5n3y", "0", None, None),
        ("training-job-5wo5n3y-0.dev.ssh.baseten.co", "5wo5n3y", "0", "dev", None),
        ("training-job-5wo5n3y-12.dev.mc-dev.ssh.baseten.co", "5wo5n3y", "12", "dev", "mc-dev"),
        ("training-job-a-b-3.r.x.y.ssh.baseten.co", "a-b", "3", "r", "x.y"),
    ],
)
def test_training_hosts_split_job_node_remote_and_prefix(
    text: str, job_id: str, node: str, remote: str | None, api_prefix: str | None
) -> None:
    host = parse_host(text)
    assert (host.kind, host.job_id, host.node, host.remote, host.api_prefix) == (
        TRAINING,
        job_id,
        node,
        remote,
        api_prefix,
    )
    assert host.model_id is None and host.cache_key == text


@pytest.mark.parametrize(
    ("text", "model_id", "deployment_id", "replica", "remote"),
    [
        ("model-abc123-def456.ssh.baseten.co", "abc123", "def456", None, None),
        (
            "model-abc123-def456-pod-xyz-abc.dev.ssh.baseten.co",
            "abc123",
            "def456",
            "pod-xyz-abc",
            "dev",
        ),
        ("model-m-d-r1.staging.api2.ssh.baseten.co", "m", "d", "r1", "staging"),
    ],
)
def test_model_hosts_split_model_deployment_and_replica(
    text: str, model_id: str, deployment_id: str, replica: str | None, remote: str | None
) -> None:
    host = parse_host(text)
    assert (host.kind, host.model_id, host.deployment_id, host.replica, host.remote) == (
        MODEL,
        model_id,
        deployment_id,
        replica,
        remote,
    )


def test_suffix_is_case_insensitive_and_the_cache_key_lower_cased() -> None:
    host = parse_host("Training-Job-ABC-0.Dev.SSH.Baseten.CO")
    assert host.cache_key == "training-job-abc-0.dev.ssh.baseten.co"
    assert (host.job_id, host.remote) == ("abc", "dev")


@pytest.mark.parametrize(
    "text",
    [
        "training-job-x;touch /tmp/pwn-0.ssh.baseten.co",
        "training-job-$(id)-0.ssh.baseten.co",
        "training-job-`id`-0.ssh.baseten.co",
        "training-job-x-0.ssh.baseten.co\n",
        "training-job-x-0.ssh.baseten.co'",
        'training-job-x-0.ssh.baseten.co"',
        "training-job-x|y-0.ssh.baseten.co",
        "training-job-x%h-0.ssh.baseten.co",
        "training-job-x_y-0.ssh.baseten.co",
        "training-job-é-0.ssh.baseten.co",
        "training-job-x-0.ssh.baseten.co\x00",
    ],
)
def test_shell_and_token_metacharacters_are_rejected_by_name(text: str) -> None:
    with pytest.raises(HostNameError) as caught:
        parse_host(text)
    assert "characters not allowed" in caught.value.message
    assert "letters, digits" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty host name"),
        ("example.com", "not a Baseten SSH host name"),
        ("ssh.baseten.co", "not a Baseten SSH host name"),
        (".ssh.baseten.co", "not a Baseten SSH host name"),
        ("x..ssh.baseten.co", "empty part"),
        ("training-job-x-0..ssh.baseten.co", "empty part"),
        ("training-job-x-0.dev..p.ssh.baseten.co", "empty part"),
        ("training-job-x.ssh.baseten.co", "expected training-job-<job_id>-<node>"),
        ("training-job--0.ssh.baseten.co", "expected training-job-<job_id>-<node>"),
        ("training-job-x-a.ssh.baseten.co", "must be a number"),
        ("training-job-x-.ssh.baseten.co", "must be a number"),
        ("model-abc.ssh.baseten.co", "expected model-<model_id>-<deployment_id>"),
        ("model--d.ssh.baseten.co", "expected model-<model_id>-<deployment_id>"),
        ("model-m-d-.ssh.baseten.co", "empty replica"),
        ("job-x-0.ssh.baseten.co", "must start with"),
        ("training-job-x-0.ssh.baseten.com", "not a Baseten SSH host name"),
        ("a" * 250 + ".ssh.baseten.co", "longer than 253"),
    ],
)
def test_malformed_names_say_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(HostNameError) as caught:
        parse_host(text)
    assert why in caught.value.message


def test_parsed_host_is_immutable_and_compares_by_value() -> None:
    host = parse_host("training-job-x-0.ssh.baseten.co")
    with pytest.raises(AttributeError):
        host.job_id = "y"  # type: ignore[misc]
    assert host == parse_host("TRAINING-JOB-X-0.ssh.baseten.co")
    assert hash(host) == hash(parse_host("training-job-x-0.ssh.baseten.co"))
    assert host != parse_host("training-job-x-1.ssh.baseten.co")
    assert isinstance(host, HostName) and "job_id='x'" in repr(host)


@pytest.mark.parametrize(
    ("text", "environment", "model_id", "remote", "api_prefix"),
    [
        ("production.model-abc123.ssh.baseten.co", "production", "abc123", None, None),
        ("Staging.Model-ABC.dev.ssh.baseten.co", "staging", "abc", "dev", None),
        ("canary-2.model-m1.dev.mc-dev.ssh.baseten.co", "canary-2", "m1", "dev", "mc-dev"),
    ],
)
def test_environment_hosts_split_environment_model_remote_and_prefix(
    text: str, environment: str, model_id: str, remote: str | None, api_prefix: str | None
) -> None:
    host = parse_host(text)
    assert (host.kind, host.environment, host.model_id) == (ENVIRONMENT, environment, model_id)
    assert (host.remote, host.api_prefix, host.deployment_id) == (remote, api_prefix, None)
    assert host.workload == f"environment {environment} of model {model_id}"
    assert workload_matching(host.name) is workload_of(ENVIRONMENT)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # A first label naming a training job or a model deployment wins, as in the block,
        # whose earlier sections serve these names (docs/baseten-protocol.md#environment-hostnames).
        ("training-job-x-0.model-y.ssh.baseten.co", TRAINING),
        ("model-a-b.model-c.ssh.baseten.co", MODEL),
        ("production.model-c.ssh.baseten.co", ENVIRONMENT),
    ],
)
def test_a_name_is_read_as_the_block_section_that_serves_it(text: str, kind: str) -> None:
    assert parse_host(text).kind == kind
    assert workload_matching(text) is workload_of(kind)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("production.model-abc-def.ssh.baseten.co", "bare model id, without a deployment"),
        ("production.model-.ssh.baseten.co", "expected <environment>.model-<model_id>"),
        ("production.dev.ssh.baseten.co", "or be an environment followed by 'model-<model_id>'"),
    ],
)
def test_malformed_environment_names_say_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(HostNameError) as caught:
        parse_host(text)
    assert why in caught.value.message


# --- building host names: the inverse of parse_host --------------------------------------

_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
_JOB_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda text: not text.startswith("-") and not text.endswith("-")
)
_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda text: not text.startswith("model-")
)
_REMOTE = st.one_of(st.none(), _ID)


@given(job_id=_JOB_ID, node=st.integers(0, 64), remote=_REMOTE, api_prefix=_REMOTE)
@settings(max_examples=200)
def test_a_built_training_host_parses_back_to_its_ids(
    job_id: str, node: int, remote: str | None, api_prefix: str | None
) -> None:
    if api_prefix and not remote:
        with pytest.raises(HostNameError, match="needs a remote"):
            training_host(job_id, str(node), remote, api_prefix)
        return
    host = training_host(job_id, str(node), remote, api_prefix)
    assert parse_host(host.name) == host
    assert (host.kind, host.job_id, host.node) == (TRAINING, job_id, str(node))
    assert (host.remote, host.api_prefix) == (remote, api_prefix)


@given(model=_ID, deployment=_ID, replica=st.one_of(st.none(), _JOB_ID), remote=_REMOTE)
@settings(max_examples=200)
def test_a_built_model_host_parses_back_to_its_ids(
    model: str, deployment: str, replica: str | None, remote: str | None
) -> None:
    host = model_host(model, deployment, replica, remote)
    assert parse_host(host.name) == host
    assert (host.kind, host.model_id, host.deployment_id, host.replica, host.remote) == (
        MODEL,
        model,
        deployment,
        replica,
        remote,
    )


@given(environment=_LABEL, model=_ID, remote=_REMOTE)
@settings(max_examples=200)
def test_a_built_environment_host_parses_back_to_its_ids(
    environment: str, model: str, remote: str | None
) -> None:
    host = environment_host(environment, model, remote)
    assert parse_host(host.name) == host
    assert (host.kind, host.environment, host.model_id, host.remote) == (
        ENVIRONMENT,
        environment,
        model,
        remote,
    )


@pytest.mark.parametrize(
    ("build", "why"),
    [
        (lambda: model_host("m-1", "d"), "would be read as model m deployment 1 replica d"),
        (lambda: model_host("m", "d-2"), "would be read as model m deployment d replica 2"),
        (lambda: environment_host("prod", "m-1"), "bare model id"),
        (lambda: environment_host("a.b", "m"), "must start with"),
        (lambda: training_host("j", "x"), "must be a number"),
        (lambda: training_host("j", "0", "a.b"), "would be read as"),
        (lambda: training_host("j;id", "0"), "characters not allowed"),
    ],
)
def test_ids_no_host_name_can_hold_are_refused_with_the_reason(
    build: Callable[[], HostName], why: str
) -> None:
    with pytest.raises(HostNameError) as caught:
        build()
    assert why in caught.value.message


def test_a_built_host_is_lower_case_as_ssh_passes_it() -> None:
    host = training_host("ABC", "0", "Dev")
    assert host.name == "training-job-abc-0.dev.ssh.baseten.co"
    assert (host.job_id, host.remote) == ("abc", "dev")
