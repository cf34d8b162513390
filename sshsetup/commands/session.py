"""`sshsetup session HOST|JOB_ID [--extend MINUTES] [--trigger T]`: a training job's state and
its interactive sessions (docs/baseten-protocol.md#interactive-sessions).

Shows each session's replica, trigger, expiry and working directory (and, for a VS Code or
Cursor tunnel session, the device code and where to enter it). ``--extend`` adds minutes to
every listed session and ``--trigger`` changes their trigger, one PATCH per session as
``truss train isession`` does; a job with no session yet takes a new trigger as its own
configuration (which starts the session of a running job). Whatever the API refuses is
reported with its own words. Two round-trips to show (the job, its sessions), one more per
changed session and one to show the result.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.baseten import SESSION_TRIGGERS, SUFFIX, TRAINING, parse_host
from sshsetup.certs.info import duration
from sshsetup.certs.installed import current_installation
from sshsetup.connect.api import (
    HttpError,
    InteractiveSession,
    SigningClient,
    TrainingJob,
    timeout_from_env,
)
from sshsetup.connect.baseten_cli_profiles import parse_rfc3339
from sshsetup.connect.fetch import client_for
from sshsetup.connect.installation import Installation
from sshsetup.connect.job_state import RUNNING, describe
from sshsetup.context import Context
from sshsetup.errors import ApiError, BadInput, UsageError
from sshsetup.results import Outcome, Result
from sshsetup.training_jobs import known_job

_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Request:
    target: str  # a training host name, or a job id
    remote: str | None = None
    extend: int | None = None  # minutes to add
    trigger: str | None = None


@dataclass(frozen=True)
class SessionInfo:
    session_id: str | None
    replica_id: str | None
    trigger: str | None
    expires_at: str | None
    seconds_left: int | None
    working_directory: str | None
    tunnel_name: str | None  # VS Code / Cursor tunnel sessions only
    auth_code: str | None
    auth_url: str | None
    generated_at: str | None

    @classmethod
    def of(cls, session: InteractiveSession, now: float) -> SessionInfo:
        expires = parse_rfc3339(session.expires_at) if session.expires_at else None
        return cls(
            session_id=session.session_id,
            replica_id=session.replica_id,
            trigger=session.trigger,
            expires_at=session.expires_at,
            seconds_left=None if expires is None else max(0, int(expires - now)),
            working_directory=session.working_directory,
            tunnel_name=session.tunnel_name,
            auth_code=session.auth_code,
            auth_url=session.auth_url,
            generated_at=session.generated_at,
        )

    def text(self) -> str:
        parts = [f"  {self.replica_id or '(replica not reported)'}"]
        parts.append(f"trigger {self.trigger or '(not reported)'}")
        if self.expires_at:
            parts.append(f"expires {self.expires_at} ({duration(self.seconds_left)} left)")
        if self.working_directory:
            parts.append(f"in {self.working_directory}")
        line = "  ".join(parts)
        if self.tunnel_name or self.auth_code:
            line += f"\n      tunnel {self.tunnel_name or '(unnamed)'}"
            if self.auth_code:
                line += f": enter code {self.auth_code} at {self.auth_url or '(no URL given)'}"
        return line


@dataclass(frozen=True)
class SessionUpdate:
    session_id: str | None  # None: the job's own session configuration
    replica_id: str | None
    message: str | None  # the API's summary of the change


@dataclass(frozen=True)
class SessionResult(Result):
    job_id: str
    project_id: str
    status: str | None  # current_status
    state: str  # running, starting, ended, unknown
    error_message: str | None
    remote: str
    api_base_url: str
    sessions: list[SessionInfo]
    updates: list[SessionUpdate]

    def text(self, colour: bool) -> str:
        state = describe(TrainingJob(self.job_id, self.project_id, self.status, self.error_message))
        lines = [f"{state.text} (project {self.project_id}, status {self.status or 'unknown'})"]
        lines += [
            f"updated{f' {u.replica_id}' if u.replica_id else ''}: {u.message or 'done'}"
            for u in self.updates
        ]
        if self.sessions:
            lines.append("interactive sessions:")
            lines += [session.text() for session in self.sessions]
        elif self.state == RUNNING:
            lines.append(
                "no interactive session yet: an on_demand one starts with the first "
                f"`ssh training-job-{self.job_id}-<node>{SUFFIX}`"
            )
        if self.state != RUNNING:
            lines.append(f"hint: {state.hint}")
        return "\n".join(lines)


def run(ctx: Context, request: Request) -> Outcome[SessionResult]:
    if request.trigger is not None and request.trigger not in SESSION_TRIGGERS:
        raise UsageError(
            f"unknown trigger {request.trigger!r}", hint="use " + ", ".join(SESSION_TRIGGERS)
        )
    if request.extend is not None and request.extend < 1:
        raise UsageError("--extend takes a number of minutes, 1 or more", hint="e.g. --extend 60")
    installation = current_installation(ctx.paths)
    job_id, host_remote, api_prefix, project_file = _target(installation, request)
    timeout = timeout_from_env(ctx.env)
    client = client_for(installation, host_remote, api_prefix, ctx.env, timeout)
    job = known_job(client, job_id, project_file)
    sessions = client.interactive_sessions(job.project_id, job_id)
    updates: list[SessionUpdate] = []
    changes: dict[str, Any] = {}
    if request.extend is not None:
        changes["timeout_minutes"] = request.extend
    if request.trigger is not None:
        changes["trigger"] = request.trigger
    if changes:
        updates = _update(client, job, sessions, changes)
        sessions = client.interactive_sessions(job.project_id, job_id)
    now = time.time()
    return Outcome(
        SessionResult(
            job_id=job.id,
            project_id=job.project_id,
            status=job.status,
            state=describe(job).phase,
            error_message=job.error_message,
            remote=client.remote,
            api_base_url=client.base_url,
            sessions=[SessionInfo.of(session, now) for session in sessions],
            updates=updates,
        )
    )


def _target(
    installation: Installation, request: Request
) -> tuple[str, str | None, str | None, Path | None]:
    """(job id, remote, api prefix, the project file a host's connections remembered)."""
    text = request.target.strip()
    if "." not in text:
        if not _JOB_ID.fullmatch(text):
            raise BadInput(
                f"{request.target!r} is neither a training job id nor a training host name",
                hint=f"give the job id, or training-job-<job_id>-<node>{SUFFIX}",
            )
        return text.lower(), request.remote, None, None
    host = parse_host(text)
    if host.kind != TRAINING:
        raise BadInput(
            f"{host.name} is a {host.kind} host: interactive sessions belong to training jobs",
            hint=f"give a training job id, or training-job-<job_id>-<node>{SUFFIX}",
        )
    if request.remote and host.remote and request.remote.lower() != host.remote:
        raise UsageError(
            f"--remote {request.remote} and the host name's remote {host.remote!r} differ",
            hint="leave out --remote: the host name already names its remote",
        )
    remote = host.remote or request.remote
    return host.job_id or "", remote, host.api_prefix, Path(installation.project_file(host.name))


def _update(
    client: SigningClient,
    job: TrainingJob,
    sessions: list[InteractiveSession],
    changes: dict[str, Any],
) -> list[SessionUpdate]:
    listed = [session for session in sessions if session.session_id]
    try:
        if listed:
            return [
                SessionUpdate(
                    session.session_id,
                    session.replica_id,
                    client.update_session(
                        job.project_id, job.id, session.session_id or "", changes
                    ),
                )
                for session in listed
            ]
        if "timeout_minutes" not in changes:
            message = client.update_job_session(job.project_id, job.id, changes)
            return [SessionUpdate(None, None, message)]
    except HttpError as exc:
        if not exc.refusal:
            raise
        raise ApiError(
            f"Baseten refused to change the interactive session of training job {job.id} "
            f"(HTTP {exc.status}: {exc.detail})",
            hint=f"`sshsetup session {job.id}` shows the sessions as they are now",
        ) from None
    state = describe(job)
    raise BadInput(
        f"training job {job.id} has no interactive session to extend"
        + ("" if state.phase == RUNNING else f" ({state.text})"),
        hint="an on_demand session starts with the first "
        f"`ssh training-job-{job.id}-<node>{SUFFIX}`; `--trigger on_startup` starts one now",
    )
