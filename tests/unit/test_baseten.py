"""Baseten's host name grammar (docs/baseten-protocol.md#hostname-grammar) and the characters it
lets through."""

from __future__ import annotations

import pytest

from sshsetup.baseten import MODEL, TRAINING, HostName, HostNameError, parse_host


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
