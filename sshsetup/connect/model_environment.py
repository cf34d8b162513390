"""Which deployment an environment host (``<env>.model-<model_id>``) reaches.

Asked on every connection to such a host (``GET /v1/models/{M}/environments/{E}``,
docs/baseten-protocol.md#environment-resolution): after a promotion the next connection reaches
the new deployment, while a connection to the deployment the cached certificate was signed for
signs nothing. That is one API round-trip for every warm connection and no cache, because a
cached answer would keep sending connections to the old deployment after a promotion
(docs/baseten-protocol.md#what-an-environment-connection-costs).
Stdlib only: the Match hook runs it.
"""

from __future__ import annotations

from sshsetup.errors import ApiError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sshsetup.baseten import HostName
    from sshsetup.connect.api import EnvironmentTarget, SigningClient


def current_deployment(client: SigningClient, host: HostName) -> EnvironmentTarget:
    """What ``host``'s environment serves now; ApiError saying why when it serves nothing."""
    from sshsetup.connect.api import HttpError

    listing = f"`baseten model environment list --model-id {host.model_id}` lists them"
    try:
        target = client.environment(host)
    except HttpError as exc:
        if exc.status != 404:
            raise
        raise ApiError(
            f"{host.workload} was not found at {client.base_url} (HTTP 404: {exc.detail})",
            hint=f"check the environment and the model id in the host name; {listing}",
        ) from None
    if target.deployment_id is None:
        raise ApiError(
            f"{host.workload} has no current deployment: there is nothing to connect to",
            hint="promote a deployment to the environment first, or connect to a deployment "
            f"by its id: model-{host.model_id}-<deployment_id>.ssh.baseten.co",
        )
    return target


def moved(cached: str | None, current: str) -> str | None:
    """Why a session cached for deployment ``cached`` cannot serve ``current``, or None."""
    if cached == current:
        return None
    return f"the environment now serves deployment {current} (the cached certificate is for " + (
        f"deployment {cached})" if cached else "another one)"
    )
