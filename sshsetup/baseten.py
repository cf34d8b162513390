"""Baseten's side of SSH, in one place: host names, workloads, endpoints, other clients' marks.

Every fact about Baseten that sshsetup relies on is written here once
(docs/baseten-protocol.md#hostname-grammar); the block's patterns, the hostname grammar, the
placement scan, the API client and the sandbox all read it from here. Host names::

    training-job-<job_id>-<node>[.<remote>[.<api_prefix>]].ssh.baseten.co
    model-<model_id>-<deployment_id>[-<replica>][.<remote>[.<api_prefix>]].ssh.baseten.co
    <environment>.model-<model_id>[.<remote>[.<api_prefix>]].ssh.baseten.co

A name is read as the first of these forms its first label allows (``training-job-``, then
``model-``, then an environment label followed by ``model-<model_id>``), which is the order of
the block's sections: each name matches exactly one of them
(docs/baseten-protocol.md#environment-hostnames).

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
ENVIRONMENT = "environment"  # <env>.model-<model_id>: whatever deployment the environment serves
MAX_LENGTH = 253  # a DNS name
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_FORMS = (
    "training-job-<job_id>-<node>[.<remote>[.<api_prefix>]].ssh.baseten.co, "
    "model-<model_id>-<deployment_id>[-<replica>][.<remote>[.<api_prefix>]].ssh.baseten.co or "
    "<environment>.model-<model_id>[.<remote>[.<api_prefix>]].ssh.baseten.co"
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
    Workload(
        ENVIRONMENT, "*." + MODEL_PREFIX + "*" + SUFFIX, "app", "production.model-example" + SUFFIX
    ),
)
HOST_GLOBS = tuple(workload.host_glob for workload in WORKLOADS)
EXAMPLE_HOSTS = tuple(workload.example_host for workload in WORKLOADS)


def workload_of(kind: str) -> Workload:
    return next(workload for workload in WORKLOADS if workload.kind == kind)


def workload_matching(hostname: str) -> Workload | None:
    """The workload whose ``Match host`` section serves ``hostname``: the first whose glob
    matches (as ssh compares it), as the block's first section to match wins."""
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
USERS_ME_PATH = "/v1/users/me"  # the authenticated user: a cheap check of a credential
DEPLOYMENT_PATH = "/v1/models/{model}/deployments/{deployment}"
SIGN_TRAINING_PATH = "/v1/training_projects/{project}/jobs/{job}/ssh/sign"
SIGN_MODEL_PATH = "/v1/models/{model}/deployments/{deployment}/ssh/sign"
ENVIRONMENT_PATH = "/v1/models/{model}/environments/{environment}"
TRAINING_JOB_PATH = "/v1/training_projects/{project}/jobs/{job}"
AUTH_CODES_PATH = TRAINING_JOB_PATH + "/auth_codes"
SESSION_PATH = TRAINING_JOB_PATH + "/interactive_sessions/{session}"
JOB_SESSION_PATH = TRAINING_JOB_PATH + "/interactive_session"

# A training job's ``current_status`` (docs/baseten-protocol.md#training-job-states).
JOB_RUNNING = "TRAINING_JOB_RUNNING"
JOB_STARTING = (
    "TRAINING_JOB_PENDING",
    "TRAINING_JOB_CREATED",
    "TRAINING_JOB_QUEUED",
    "TRAINING_JOB_DEPLOYING",
)
JOB_ENDED = (
    "TRAINING_JOB_COMPLETED",
    "TRAINING_JOB_FAILED",
    "TRAINING_JOB_STOPPED",
    "TRAINING_JOB_DEPLOY_FAILED",
)
JOB_STATUS_PREFIX = "TRAINING_JOB_"
# A model deployment's status (DeploymentStatusV1): serving, or on its way, or gone
# (docs/baseten-protocol.md#model-deployment-status).
DEPLOYMENT_SERVING = ("ACTIVE", "UPDATING")
DEPLOYMENT_ENDED = (
    "DEPLOY_FAILED",
    "BUILD_FAILED",
    "BUILD_STOPPED",
    "DEACTIVATING",
    "INACTIVE",
    "FAILED",
)
# When an interactive session starts (docs/baseten-protocol.md#session-triggers).
SESSION_TRIGGERS = ("on_startup", "on_failure", "on_demand")
MODELS_PATH = "/v1/models"  # every model, with its production and development deployment


def replica_of_node(node: str) -> str:
    """The replica id of a training job's node in its interactive sessions: ``gXXrY`` (group,
    replica; docs/baseten-protocol.md#session-auth-codes-endpoint)."""
    return f"g00r{node}"


def api_base_for_prefix(api_prefix: str) -> str:
    """The API a host name's ``<api_prefix>`` selects."""
    return f"https://api.{api_prefix.lower()}.baseten.co"


# --- the Go CLI `baseten`: its profiles (docs/baseten-protocol.md#go-cli-profiles-and-keyring)

CLI_CONFIG_DIR_ENV = "BASETEN_CONFIG_DIR"
CLI_PROFILE_ENV = "BASETEN_PROFILE"
CLI_MANAGEMENT_API_ENV = "BASETEN_MANAGEMENT_API_URL_OVERRIDE"
CLI_REMOTE_URL_ENV = "BASETEN_REMOTE_URL"  # a profile without remote_url falls back to it
CLI_AUTH_FILE_NAME = "auth.json"
CLI_CONFIG_DIR_NAME = "baseten"  # under the OS's user config directory
CLI_KEYRING_SERVICE = "baseten-profile"  # account: the profile name
CLI_DEFAULT_REMOTE_URL = "https://app.baseten.co"
# remote_url -> management API host, where it is not api.<host without "app.">
CLI_KNOWN_API_HOSTS = {
    "https://app.baseten.co": "api.baseten.co",
    "https://app.staging.baseten.co": "api.staging.baseten.co",
    "https://app.dev.baseten.co": "api.mc-dev.baseten.co",
    "http://localhost:8000": "api.localhost:8000",
}


# --- blocks other Baseten clients write ---------------------------------------------------
# docs/reference-clients.md#truss-01836-block-on-unix
# docs/reference-clients.md#go-cli-block-sections

TRUSS_START_MARKER = "# --- baseten-ssh ---"
TRUSS_END_MARKER = "# --- end baseten-ssh ---"
CLI_START_MARKER = "# --- baseten-cli-ssh ---"
CLI_END_MARKER = "# --- end baseten-cli-ssh ---"
TRUSS_KEY_DIR_NAME = "baseten"  # ~/.ssh/baseten, where `truss ssh setup` keeps its key
TRUSS_KEY_NAMES = ("id_ed25519", "id_rsa")
# (the command that writes the block, its start marker, its end marker)
OTHER_CLIENT_BLOCKS = (
    ("truss ssh setup", TRUSS_START_MARKER, TRUSS_END_MARKER),
    ("baseten ssh setup", CLI_START_MARKER, CLI_END_MARKER),
)


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
        "environment",
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
    environment: str | None

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
        environment: str | None = None,
    ) -> None:
        values = (
            *(name, kind, job_id, node, model_id, deployment_id, replica, remote, api_prefix),
            environment,
        )
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
        if self.kind == ENVIRONMENT:
            return f"environment {self.environment} of model {self.model_id}"
        text = f"model {self.model_id} deployment {self.deployment_id}"
        return text + (f" replica {self.replica}" if self.replica else "")


# --- building host names (the inverse of parse_host) -------------------------------------


def training_host(
    job_id: str, node: str = "0", remote: str | None = None, api_prefix: str | None = None
) -> HostName:
    """The host of a training job's node; HostNameError when the ids cannot be written in the
    grammar (``parse_host`` of the name gives back the same ids)."""
    name = f"{TRAINING_PREFIX}{job_id}-{node}"
    return _built(name, remote, api_prefix, job_id=job_id, node=node)


def model_host(
    model_id: str,
    deployment_id: str,
    replica: str | None = None,
    remote: str | None = None,
    api_prefix: str | None = None,
) -> HostName:
    """The host of one deployment of a model (and one of its replicas)."""
    name = f"{MODEL_PREFIX}{model_id}-{deployment_id}" + (f"-{replica}" if replica else "")
    return _built(
        name, remote, api_prefix, model_id=model_id, deployment_id=deployment_id, replica=replica
    )


def environment_host(
    environment: str, model_id: str, remote: str | None = None, api_prefix: str | None = None
) -> HostName:
    """The host of whatever deployment a model's environment serves."""
    name = f"{environment}.{MODEL_PREFIX}{model_id}"
    return _built(name, remote, api_prefix, environment=environment, model_id=model_id)


def _built(
    workload: str, remote: str | None, api_prefix: str | None, **ids: str | None
) -> HostName:
    if api_prefix and not remote:
        raise HostNameError(
            "an API prefix needs a remote before it in the host name",
            hint="give the remote too: <workload>.<remote>.<api_prefix>" + SUFFIX,
        )
    labels = [workload, *(label for label in (remote, api_prefix) if label)]
    host = parse_host(".".join(labels) + SUFFIX)
    ids.update(remote=remote, api_prefix=api_prefix)
    if any(
        getattr(host, name) != (value.lower() if value else None) for name, value in ids.items()
    ):
        given = ", ".join(f"{name} {value!r}" for name, value in ids.items() if value)
        raise HostNameError(
            f"{given} cannot be written as one Baseten host name: {host.name} would be read "
            f"as {host.workload}",
            hint="model and deployment ids hold no '-', environments and remotes no '.'",
        )
    return host


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
    if remote is not None and remote.startswith(MODEL_PREFIX):
        model = remote[len(MODEL_PREFIX) :]
        remote = labels[2] if len(labels) > 2 else None
        api_prefix = ".".join(labels[3:]) if len(labels) > 3 else None
        return _environment(host, name, workload, model, remote, api_prefix)
    raise HostNameError(
        f"{host!r}: the first part must start with {TRAINING_PREFIX!r} or {MODEL_PREFIX!r}, "
        f"or be an environment followed by {MODEL_PREFIX + '<model_id>'!r}"
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


def _environment(
    host: str, name: str, environment: str, model: str, remote: str | None, api_prefix: str | None
) -> HostName:
    if not model:
        raise HostNameError(f"{host!r}: expected <environment>.model-<model_id>")
    if "-" in model:
        raise HostNameError(
            f"{host!r}: the environment form takes the bare model id, without a deployment",
            hint=f"use {environment}.model-<model_id>.ssh.baseten.co for the deployment "
            "the environment serves, or model-<model_id>-<deployment_id>.ssh.baseten.co "
            "for one deployment",
        )
    return HostName(
        name,
        ENVIRONMENT,
        model_id=model,
        remote=remote,
        api_prefix=api_prefix,
        environment=environment,
    )
