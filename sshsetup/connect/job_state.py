"""What a training job's state means for connecting to it, said in terms of the job.

The job search answers with ``current_status`` (docs/baseten-protocol.md#training-job-states);
when the signing API or the proxy refuses a training host, the hook, the ProxyCommand,
``cert fetch`` and doctor explain the refusal with it
(docs/baseten-protocol.md#what-a-refused-training-host-means):

- no such job: the id in the host name is wrong, or the job belongs to another account;
- ended (completed, failed, stopped, failed to deploy): there is nothing to connect to;
- starting (pending, created, queued, deploying): not up yet, and how to wait for it;
- running, yet refused: SSH is not enabled for the workspace (Baseten support enables it),
  or the job's container has no SSH server.

Stdlib only: the connect path reports with it.
"""

from __future__ import annotations

from sshsetup.baseten import JOB_ENDED, JOB_RUNNING, JOB_STARTING, JOB_STATUS_PREFIX
from sshsetup.errors import ApiError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sshsetup.connect.api import TrainingJob

RUNNING = "running"
STARTING = "starting"
ENDED = "ended"
UNKNOWN = "unknown"
_PHRASES = {  # what a starting job is waiting for
    "TRAINING_JOB_PENDING": "waiting for GPU capacity",
    "TRAINING_JOB_CREATED": "not scheduled yet",
    "TRAINING_JOB_QUEUED": "waiting in the queue",
    "TRAINING_JOB_DEPLOYING": "its containers are starting",
}
SSH_NOT_ENABLED_HINT = (
    "SSH sessions must be enabled for your Baseten workspace: Baseten support turns them on "
    "(VS Code and Cursor tunnel sessions need no such step)"
)


class JobState:
    """A job's state in one word (``phase``), a sentence, and what to do about it."""

    __slots__ = ("job_id", "status", "phase", "text", "hint")

    def __init__(self, job_id: str, status: str | None, phase: str, text: str, hint: str) -> None:
        self.job_id = job_id
        self.status = status
        self.phase = phase
        self.text = text
        self.hint = hint


def describe(job: TrainingJob) -> JobState:
    status = job.status
    short = (status or "unknown").removeprefix(JOB_STATUS_PREFIX)
    phrase = _PHRASES.get(status or "", "")
    said = f"{short}: {phrase}" if phrase else short
    if status == JOB_RUNNING:
        return JobState(
            job.id,
            status,
            RUNNING,
            f"training job {job.id} is running",
            f"`sshsetup session {job.id}` shows its interactive sessions",
        )
    if status in JOB_STARTING:
        return JobState(
            job.id,
            status,
            STARTING,
            f"training job {job.id} is not up yet ({said})",
            f"wait until it runs: `sshsetup session {job.id}` shows its state "
            f"(`truss train logs --job-id {job.id} --tail` follows it), then connect again",
        )
    if status in JOB_ENDED:
        reason = f": {job.error_message}" if job.error_message else ""
        return JobState(
            job.id,
            status,
            ENDED,
            f"training job {job.id} has ended ({short}{reason}): there is nothing to connect to",
            "SSH reaches a job only while it runs; to keep a failed run's container up for "
            "inspection, push the job with the interactive session trigger on_failure",
        )
    return JobState(
        job.id,
        status,
        UNKNOWN,
        f"training job {job.id} is in a state sshsetup does not know ({said})",
        f"`sshsetup session {job.id}` shows what Baseten reports about it",
    )


def not_found(job_id: str, where: str) -> ApiError:
    """The job search found no job with that id at ``where`` (an API and remote)."""
    return ApiError(
        f"training job {job_id} was not found at {where}",
        hint="check the job id in the host name, and that the job belongs to this remote's "
        "account (`truss train view` lists your jobs)",
    )


def refused(job: TrainingJob, refusal: str) -> ApiError:
    """The job's host was refused (``refusal``: who refused what, in their own words),
    explained by the job's state."""
    state = describe(job)
    if state.phase == RUNNING:
        return ApiError(
            f"{state.text}, yet {refusal}: is the workload running with SSH enabled?",
            hint=f"{SSH_NOT_ENABLED_HINT}; {state.hint}",
        )
    return ApiError(f"{state.text}; {refusal}", hint=state.hint)
