"""What `sshsetup ssh` and `sshsetup code` are pointed at: a job id, a model deployment, an
environment or a full host name, turned into the host name ssh is given.

    JOB_ID [--node N]                      training-job-<job_id>-<node>.ssh.baseten.co
    MODEL_ID --deployment D [--replica R]  model-<model_id>-<deployment>[-<replica>].ssh.baseten.co
    <env>.model-<model_id>                 <env>.model-<model_id>.ssh.baseten.co
    a full host name (…ssh.baseten.co)     itself

``--remote R`` adds the remote label. The names are built by ``sshsetup.baseten`` (the one
place that knows the grammar), so what is built parses back to the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.baseten import (
    MODEL_PREFIX,
    SUFFIX,
    HostName,
    environment_host,
    model_host,
    parse_host,
    training_host,
)
from sshsetup.errors import UsageError


@dataclass(frozen=True)
class Target:
    text: str  # as given: a job id, a model id, <env>.model-<model_id>, or a host name
    node: int | None = None  # a training job's node (default 0)
    deployment: str | None = None  # makes ``text`` a model id
    replica: str | None = None  # a model deployment's replica
    remote: str | None = None


def host_of(target: Target) -> HostName:
    """The host ``target`` names; UsageError for flags that do not go with its form,
    HostNameError for ids no host name can hold."""
    text = target.text.strip()
    if text.lower().endswith(SUFFIX):
        _refuse_flags(target, "a full host name", node=True, deployment=True, remote=True)
        return parse_host(text)
    if "." in text:
        environment, _, model_label = text.partition(".")
        if not model_label.lower().startswith(MODEL_PREFIX):
            raise UsageError(
                f"{text!r} is neither a job id, a model id, <environment>.model-<model_id> "
                f"nor a host name ending in {SUFFIX}",
                hint="e.g. `sshsetup ssh <job_id>`, `sshsetup ssh <model_id> --deployment <id>`, "
                "`sshsetup ssh production.model-<model_id>`",
            )
        _refuse_flags(target, "an environment", node=True, deployment=True)
        model = model_label[len(MODEL_PREFIX) :]
        return environment_host(environment, model, target.remote)
    if target.deployment is not None:
        _refuse_flags(target, "a model deployment", node=True)
        return model_host(text, target.deployment, target.replica, target.remote)
    if target.replica is not None:
        raise UsageError(
            "--replica names a replica of a model deployment",
            hint=f"give the deployment too: `--deployment <deployment_id> --replica "
            f"{target.replica}` (a training job's node is --node)",
        )
    return training_host(text, str(target.node or 0), target.remote)


def _refuse_flags(
    target: Target, form: str, *, node: bool = False, deployment: bool = False, remote: bool = False
) -> None:
    given = [
        flag
        for flag, value, refused in (
            ("--node", target.node, node),
            ("--deployment", target.deployment, deployment),
            ("--replica", target.replica, deployment),
            ("--remote", target.remote, remote),
        )
        if refused and value is not None
    ]
    if given:
        flags = " and ".join(given)
        raise UsageError(
            f"{flags} cannot be combined with {form} ({target.text})",
            hint=f"drop {flags}: {target.text} already names its workload",
        )
