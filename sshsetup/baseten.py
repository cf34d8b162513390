"""Baseten's side of SSH, in one place: host names, workloads, endpoints, other clients' marks.

Every fact about Baseten that sshsetup relies on is written here once
(docs/baseten-protocol.md#hostname-grammar); the block's patterns, the hostname grammar, the
placement scan, the API client and the sandbox all read it from here. Host names::

    training-job-<job_id>-<node>[.<remote>[.<api_prefix>]].ssh.baseten.co
    model-<model_id>-<deployment_id>[-<replica>][.<remote>[.<api_prefix>]].ssh.baseten.co

Lean on purpose (no imports but sshsetup.errors, itself import-free): the Match hook parses
``%h`` on every ssh run. Only ``[A-Za-z0-9.-]`` is accepted, so a name can never escape a
shell command line or an ssh token. The suffix is compared case-insensitively (``Match host``
is), and the lower-cased name (what ssh's ``%h`` becomes in CertificateFile) names the cache
files.
"""

from __future__ import annotations

from sshsetup.errors import BadInput

SUFFIX = ".ssh.baseten.co"
ANY_HOST_GLOB = "*" + SUFFIX
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
HOSTNAME_HINT = f"use {_FORMS}"


class Workload:
    """One kind of host the managed block serves: the hosts it matches and who logs in."""

    __slots__ = ("kind", "host_glob", "remote_user", "example_host")

    def __init__(self, kind: str, host_glob: str, remote_user: str, example_host: str) -> None:
        self.kind = kind
        self.host_glob = host_glob
        self.remote_user = remote_user
        self.example_host = example_host

    def __repr__(self) -> str:
        return f"Workload({self.kind!r}, {self.host_glob!r})"


WORKLOADS = (
    Workload(
        TRAINING, TRAINING_PREFIX + "*" + SUFFIX, "baseten", "training-job-example-0" + SUFFIX
    ),
    Workload(MODEL, MODEL_PREFIX + "*" + SUFFIX, "app", "model-example-example" + SUFFIX),
)
HOST_GLOBS = tuple(workload.host_glob for workload in WORKLOADS)
EXAMPLE_HOSTS = tuple(workload.example_host for workload in WORKLOADS)


def workload_of(kind: str) -> Workload:
    return next(workload for workload in WORKLOADS if workload.kind == kind)


def workload_matching(hostname: str) -> Workload | None:
    """The workload whose ``Match host`` glob matches ``hostname`` (as ssh compares it)."""
    import fnmatch

    name = hostname.lower()
    return next((w for w in WORKLOADS if fnmatch.fnmatchcase(name, w.host_glob)), None)


# --- the REST API (docs/baseten-protocol.md#endpoints) ---------------------------------------

DEFAULT_API_BASE_URL = "https://api.baseten.co"
# Baseten's own domain: its APIs (api.baseten.co, api.<prefix>.baseten.co), the SSH host
# names, and so the SSH proxies its API may send a client to
# (docs/baseten-protocol.md#where-the-proxy-address-may-point).
BASETEN_DOMAIN = "baseten.co"
API_KEY_ENV = "BASETEN_API_KEY"
BASE_URL_ENV = "BASETEN_BASE_URL"
TRUSSRC_ENV = "USER_TRUSSRC_PATH"
TRUSS_KEYRING_SERVICE = "baseten-truss"
SEARCH_JOBS_PATH = "/v1/training_jobs/search"
SIGN_TRAINING_PATH = "/v1/training_projects/{project}/jobs/{job}/ssh/sign"
SIGN_MODEL_PATH = "/v1/models/{model}/deployments/{deployment}/ssh/sign"


def api_base_for_prefix(api_prefix: str) -> str:
    """The API a host name's ``<api_prefix>`` selects."""
    return f"https://api.{api_prefix.lower()}.baseten.co"


# --- blocks other Baseten clients write ---------------------------------------------------
# docs/reference-clients.md#truss-01836-block-on-unix

TRUSS_START_MARKER = "# --- baseten-ssh ---"
TRUSS_END_MARKER = "# --- end baseten-ssh ---"
TRUSS_KEY_DIR_NAME = "baseten"  # ~/.ssh/baseten, where `truss ssh setup` keeps its key
TRUSS_KEY_NAMES = ("id_ed25519", "id_rsa")


class HostNameError(BadInput):
    """A host name that is not a Baseten SSH host name; ``hint`` says what would be."""

    def __init__(self, message: str, hint: str = HOSTNAME_HINT) -> None:
        super().__init__(message, hint)


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
