"""Before `sshsetup ssh` and `sshsetup code` hand a host over to ssh (or the editor): the
block that will serve it, the job behind it, and its interactive session.

1. The ssh config the connection will use holds the sshsetup block, as `sshsetup setup` writes
   it now, serving the host (not another client's block above it); else: run setup.
2. A training host whose certificate and session are cached and fresh is ready as it is, with
   no API call and no probe: a job signs only while it runs, and a session whose connection
   the proxy refused is forgotten (by the ProxyCommand, and here), so a cached session is one
   the proxy last took, or one never used. If the job has ended since, ssh's ProxyCommand
   says so. Otherwise the job's state is asked: ended, or not found: its message; not running
   yet: wait for it, polling, with a progress line (--no-wait: fail at once).
3. Then the proxy is probed (the handshake the ProxyCommand makes, no SSH bytes after it)
   until it takes the connection: an on_demand session starts with the first connection
   (docs/baseten-protocol.md#on-demand-activation), and while it starts the proxy refuses or
   closes connections; each refusal is said on the progress line and retried until the
   timeout, then explained in terms of the job.

Model and environment hosts only need step 1: their deployments have no session to start.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from sshsetup.baseten import TRAINING, HostName, workload_matching
from sshsetup.certs.installed import current_installation
from sshsetup.connect.installation import Installation
from sshsetup.connect.job_state import ENDED, STARTING, describe
from sshsetup.connect.session import host_problem
from sshsetup.context import Context
from sshsetup.errors import ApiError, BadInput, ChecksFailed
from sshsetup.install_state import read_install_state
from sshsetup.progress import ProgressLine
from sshsetup.waiting import JOB_POLL_SECONDS, PROBE_RETRY_SECONDS, Waiting

if TYPE_CHECKING:
    from sshsetup.connect.api import SigningClient
    from sshsetup.connect.tunnel import ProxyError
    from sshsetup.openssh import OpenSSH


def require_openssh(ctx: Context) -> OpenSSH:
    openssh = ctx.openssh
    if openssh is None:
        raise ChecksFailed(
            "no ssh on PATH",
            hint="install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client; "
            "Windows: Settings > Optional features > OpenSSH Client)",
        )
    return openssh


def require_block(ctx: Context, host: HostName) -> None:
    """BadInput unless the config holds the current sshsetup block and it serves ``host``."""
    paths = ctx.paths
    state = read_install_state(ctx)
    default_config = paths.ssh_config == paths.ssh_reads
    setup = "sshsetup setup" + ("" if default_config else f" --config {paths.ssh_config}")
    if state.block is None:
        raise BadInput(
            f"no sshsetup block in {paths.ssh_config}: ssh would not know how to reach {host.name}",
            hint=f"run `{setup}` (once; it also makes the key the block uses)",
        )
    span = f"{paths.ssh_config} lines {state.block.first_line}-{state.block.last_line}"
    if not state.block.current:
        raise BadInput(
            f"the sshsetup block at {span} is not what `sshsetup setup` writes now "
            "(an older sshsetup wrote it, it was edited, or Python moved)",
            hint=f"run `{setup}` to bring it up to date (your other lines stay as they are)",
        )
    workload = workload_matching(host.name)
    if workload is not None and workload.host_glob not in state.block.serves:
        others = ", ".join(f"`{other.client}`" for other in state.other_blocks if other.serves)
        raise BadInput(
            f"{host.name} is served by the block of {others or 'another client'} above the "
            f"sshsetup block at {span}",
            hint=f"run `{setup} --migrate` to take the other client's block out",
        )
    if not state.key.present or state.key.problem:
        raise BadInput(
            f"the key the block uses, {state.key.path}, is " + (state.key.problem or "missing"),
            hint=f"run `{setup}` to make it again",
        )


def make_ready(ctx: Context, host: HostName, waiting: Waiting, progress: ProgressLine) -> float:
    """Steps 2 and 3 of the module docstring (step 1 is ``require_block``); the seconds it
    waited for the job and its session."""
    if host.kind != TRAINING:
        return 0.0
    installation = current_installation(ctx.paths)
    if host_problem(installation, host.cache_key, time.time()) is None:
        return 0.0
    clock = _Clock(waiting, progress)
    client = _client(ctx, installation, host)
    _wait_until_running(client, installation, host, clock)
    _until_accepted(ctx, installation, host, clock)
    progress.finish(f"{host.workload}: ready after {clock.elapsed():.0f} s")
    return clock.elapsed()


def session_working_directory(ctx: Context, host: HostName) -> str | None:
    """Where the job's interactive session on the host's node works (its working_directory),
    as the sessions API reports it; None when it reports none."""
    from sshsetup.baseten import replica_of_node
    from sshsetup.training_jobs import known_job

    installation = current_installation(ctx.paths)
    client = _client(ctx, installation, host)
    job = known_job(client, host.job_id or "", Path(installation.project_file(host.cache_key)))
    sessions = client.interactive_sessions(job.project_id, job.id)
    replica = replica_of_node(host.node or "0")
    ordered = sorted(sessions, key=lambda session: session.replica_id != replica)
    return next((s.working_directory for s in ordered if s.working_directory), None)


class _Clock:
    """The time spent waiting, against the timeout, shown on the progress line."""

    def __init__(self, waiting: Waiting, progress: ProgressLine) -> None:
        self.waiting = waiting
        self.progress = progress
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def out_of_time(self) -> bool:
        return self.elapsed() >= self.waiting.timeout_seconds

    def pause(self, seconds: float, text: str) -> None:
        """Sleep ``seconds`` (never past the timeout), saying ``text`` every second."""
        until = min(time.monotonic() + seconds, self.started + self.waiting.timeout_seconds)
        while (left := until - time.monotonic()) > 0:
            self.progress.show(text, self.elapsed())
            time.sleep(min(1.0, left))


def _client(ctx: Context, installation: Installation, host: HostName) -> SigningClient:
    from sshsetup.connect.api import timeout_from_env
    from sshsetup.connect.fetch import client_for

    timeout = timeout_from_env(ctx.env)
    return client_for(installation, host.remote, host.api_prefix, ctx.env, timeout)


def _wait_until_running(
    client: SigningClient, installation: Installation, host: HostName, clock: _Clock
) -> None:
    """Until the job runs (or is in a state sshsetup does not know: the connection will say);
    ApiError when it ended, is not found, or does not start in time."""
    from sshsetup.training_jobs import known_job

    project_file = Path(installation.project_file(host.cache_key))
    job = known_job(client, host.job_id or "", project_file)
    polls = 0
    while True:
        state = describe(job)
        if state.phase == ENDED:
            raise ApiError(state.text, hint=state.hint)
        if state.phase != STARTING:
            return
        if not clock.waiting.wait:
            raise ApiError(
                f"{state.text}; not waiting for it (--no-wait)",
                hint="leave out --no-wait to wait until it runs (up to --timeout SECONDS); "
                f"`sshsetup session {job.id}` shows its state",
            )
        if clock.out_of_time():
            raise ApiError(
                f"{state.text}, still, after {clock.elapsed():.0f} s of waiting",
                hint=f"wait longer with --timeout SECONDS; {state.hint}",
            )
        clock.pause(_nth(JOB_POLL_SECONDS, polls), f"{state.text}; waiting")
        polls += 1
        job = client.job(job.project_id, job.id)


def _until_accepted(
    ctx: Context, installation: Installation, host: HostName, clock: _Clock
) -> None:
    """Probe until the proxy takes the connection. Leaving without an accepted connection
    (failure, Ctrl-C) forgets the session, as the ProxyCommand does after a refusal: the next
    run then probes again."""
    from sshsetup.connect.fetch import forget_session

    try:
        _probe_until_accepted(ctx, installation, host, clock)
    except BaseException:
        forget_session(installation, host)
        raise


def _probe_until_accepted(
    ctx: Context, installation: Installation, host: HostName, clock: _Clock
) -> None:
    from sshsetup.connect.fetch import explain_refusal

    retries = 0
    while True:
        refusal = _probe(ctx, installation, host)
        if refusal is None:
            return
        if not clock.waiting.wait or clock.out_of_time():
            explained = explain_refusal(installation, host, ctx.env, refusal)
            if clock.waiting.wait:
                explained.message += (
                    f" (still, after {retries + 1} tries in {clock.elapsed():.0f} s)"
                )
            again = "--timeout SECONDS" if clock.waiting.wait else "leaving out --no-wait"
            explained.hint += (
                "; an on_demand session starts with the first connection and may take a "
                f"while: {again} waits for it"
            )
            raise explained
        clock.pause(
            _nth(PROBE_RETRY_SECONDS, retries),
            f"{host.workload}: the SSH proxy does not take connections yet (an on_demand "
            "session starts with the first one); retrying",
        )
        retries += 1


def _probe(ctx: Context, installation: Installation, host: HostName) -> ProxyError | None:
    """One handshake with the proxy, with the host's session (fetched first if it has none
    fresh); None when the proxy took it, the refusal when it refused or closed."""
    from sshsetup.connect.fetch import ensure_session
    from sshsetup.connect.tunnel import ProxyError, open_tunnel, tls_context

    session = ensure_session(installation, host, ctx.env)
    try:
        channel = open_tunnel(session.proxy_address, session.jwt, tls_context(ctx.env))
    except ProxyError as exc:
        if not exc.refused:
            raise
        return exc
    channel.sock.close()
    return None


def _nth(schedule: tuple[float, ...], index: int) -> float:
    return schedule[min(index, len(schedule) - 1)]
