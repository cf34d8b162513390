"""What `sshsetup ssh` and `sshsetup code` are pointed at (sshsetup.targets): every form of
TARGET and the flags that go with it, built by the grammar's own builders."""

from __future__ import annotations

import pytest

from sshsetup.baseten import HostNameError, parse_host
from sshsetup.errors import UsageError
from sshsetup.targets import Target, host_of


@pytest.mark.parametrize(
    ("target", "host"),
    [
        (Target("abc123"), "training-job-abc123-0.ssh.baseten.co"),
        (Target("abc123", node=3), "training-job-abc123-3.ssh.baseten.co"),
        (Target("ABC123", remote="dev"), "training-job-abc123-0.dev.ssh.baseten.co"),
        (Target("m1", deployment="d1"), "model-m1-d1.ssh.baseten.co"),
        (Target("m1", deployment="d1", replica="r-2"), "model-m1-d1-r-2.ssh.baseten.co"),
        (Target("production.model-m1"), "production.model-m1.ssh.baseten.co"),
        (Target("staging.model-m1", remote="dev"), "staging.model-m1.dev.ssh.baseten.co"),
        (Target("training-job-x-1.dev.ssh.baseten.co"), "training-job-x-1.dev.ssh.baseten.co"),
        (Target(" model-m-d.SSH.baseten.co "), "model-m-d.ssh.baseten.co"),
    ],
)
def test_each_form_of_target_names_its_host(target: Target, host: str) -> None:
    built = host_of(target)
    assert built.name == host
    assert parse_host(host) == built


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (Target("training-job-x-0.ssh.baseten.co", node=1), "--node cannot be combined"),
        (Target("model-m-d.ssh.baseten.co", remote="dev"), "--remote cannot be combined"),
        (Target("production.model-m", deployment="d"), "--deployment cannot be combined"),
        (Target("production.model-m", node=0), "--node cannot be combined"),
        (Target("m1", deployment="d", node=2), "--node cannot be combined"),
        (Target("abc", replica="r1"), "--replica names a replica of a model deployment"),
        (Target("abc.def"), "is neither a job id"),
    ],
)
def test_flags_that_do_not_go_with_the_form_are_usage_errors(target: Target, why: str) -> None:
    with pytest.raises(UsageError) as caught:
        host_of(target)
    assert why in caught.value.message
    assert caught.value.hint


def test_ids_the_grammar_cannot_hold_are_refused() -> None:
    with pytest.raises(HostNameError, match="would be read as"):
        host_of(Target("m-1", deployment="d"))
    with pytest.raises(HostNameError, match="characters not allowed"):
        host_of(Target("abc;id"))
