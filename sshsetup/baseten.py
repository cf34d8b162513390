"""Baseten's SSH host names (field guide F3), parsed and validated.

    training-job-<job_id>-<node>[.<remote>[.<api_prefix>]].ssh.baseten.co
    model-<model_id>-<deployment_id>[-<replica>][.<remote>[.<api_prefix>]].ssh.baseten.co

Lean on purpose (no imports at all): the Match hook parses ``%h`` on every ssh run.
Only ``[A-Za-z0-9.-]`` is accepted, so a name can never escape a shell command line or
an ssh token. The suffix is compared case-insensitively (``Match host`` is), and the
lower-cased name (what ssh's ``%h`` becomes in CertificateFile) names the cache files.
"""

from __future__ import annotations

SUFFIX = ".ssh.baseten.co"
TRAINING_PREFIX = "training-job-"
MODEL_PREFIX = "model-"
TRAINING = "training"
MODEL = "model"
MAX_LENGTH = 253  # a DNS name
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_FORMS = (
    "training-job-<job_id>-<node>[.<remote>[.<api_prefix>]].ssh.baseten.co or "
    "model-<model_id>-<deployment_id>[-<replica>][.<remote>[.<api_prefix>]].ssh.baseten.co"
)


class HostNameError(ValueError):
    """A host name that is not a Baseten SSH host name; ``hint`` says what would be."""

    def __init__(self, message: str, hint: str = f"use {_FORMS}") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class HostName:
    """One parsed host name; immutable (a hand-written frozen value class: ``dataclasses``
    costs the hook ~10 ms of imports)."""

    __slots__ = (
        "name",
        "kind",
        "job_id",
        "node",
        "model_id",
        "deployment_id",
        "replica",
        "remote",
        "api_prefix",
    )
    name: str
    kind: str
    job_id: str | None
    node: str | None
    model_id: str | None
    deployment_id: str | None
    replica: str | None
    remote: str | None
    api_prefix: str | None

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        job_id: str | None = None,
        node: str | None = None,
        model_id: str | None = None,
        deployment_id: str | None = None,
        replica: str | None = None,
        remote: str | None = None,
        api_prefix: str | None = None,
    ) -> None:
        values = (name, kind, job_id, node, model_id, deployment_id, replica, remote, api_prefix)
        for slot, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"HostName is immutable (cannot set {name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"HostName is immutable (cannot delete {name})")

    def _fields(self) -> tuple[str | None, ...]:
        return tuple(getattr(self, slot) for slot in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostName) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{slot}={value!r}"
            for slot, value in zip(self.__slots__, self._fields(), strict=True)
            if value is not None
        )
        return f"HostName({shown})"

    @property
    def cache_key(self) -> str:
        """The per-host file name stem: the lower-cased host name."""
        return self.name

    @property
    def workload(self) -> str:
        """What the host reaches, for messages: ``training job X node N`` / ``model M ...``."""
        if self.kind == TRAINING:
            return f"training job {self.job_id} node {self.node}"
        text = f"model {self.model_id} deployment {self.deployment_id}"
        return text + (f" replica {self.replica}" if self.replica else "")


def check_characters(host: str) -> None:
    """Reject anything that could escape a shell or an ssh token, before any other use."""
    if not host:
        raise HostNameError("empty host name")
    if len(host) > MAX_LENGTH:
        raise HostNameError(f"host name longer than {MAX_LENGTH} characters")
    bad = sorted({char for char in host if char not in _ALLOWED})
    if bad:
        shown = " ".join(repr(char) for char in bad)
        raise HostNameError(
            f"host name {host!r} contains characters not allowed in a Baseten host name: {shown}",
            hint=f"only letters, digits, '.' and '-' are allowed; use {_FORMS}",
        )


def parse_host(host: str) -> HostName:
    """Parse ``host`` (as ssh passes ``%h``) or raise HostNameError saying why not."""
    check_characters(host)
    name = host.lower()
    if not name.endswith(SUFFIX) or len(name) == len(SUFFIX):
        raise HostNameError(f"{host!r} is not a Baseten SSH host name (expected *{SUFFIX})")
    labels = name[: -len(SUFFIX)].split(".")
    if any(not label for label in labels):
        raise HostNameError(f"{host!r} has an empty part between dots")
    workload = labels[0]
    remote = labels[1] if len(labels) > 1 else None
    api_prefix = ".".join(labels[2:]) if len(labels) > 2 else None
    if workload.startswith(TRAINING_PREFIX):
        return _training(host, name, workload[len(TRAINING_PREFIX) :], remote, api_prefix)
    if workload.startswith(MODEL_PREFIX):
        return _model(host, name, workload[len(MODEL_PREFIX) :], remote, api_prefix)
    raise HostNameError(
        f"{host!r}: the first part must start with {TRAINING_PREFIX!r} or {MODEL_PREFIX!r}"
    )


def _training(
    host: str, name: str, rest: str, remote: str | None, api_prefix: str | None
) -> HostName:
    job_id, dash, node = rest.rpartition("-")
    if not dash or not job_id:
        raise HostNameError(f"{host!r}: expected training-job-<job_id>-<node>")
    if not node.isdigit() or not node.isascii():
        raise HostNameError(f"{host!r}: the node after the last '-' must be a number")
    return HostName(name, TRAINING, job_id=job_id, node=node, remote=remote, api_prefix=api_prefix)


def _model(host: str, name: str, rest: str, remote: str | None, api_prefix: str | None) -> HostName:
    parts = rest.split("-", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise HostNameError(f"{host!r}: expected model-<model_id>-<deployment_id>[-<replica>]")
    replica = parts[2] if len(parts) == 3 else None
    if replica == "":
        raise HostNameError(f"{host!r}: empty replica after the deployment id")
    return HostName(
        name,
        MODEL,
        model_id=parts[0],
        deployment_id=parts[1],
        replica=replica,
        remote=remote,
        api_prefix=api_prefix,
    )
