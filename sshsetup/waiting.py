"""How long `sshsetup ssh` and `sshsetup code` wait for a job to run and its session to take
connections, and how often they look (lean: the command line reads the default)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEOUT_SECONDS = 600.0
# Seconds between two looks at a starting job: quick at first, then every 5 s.
JOB_POLL_SECONDS = (1.0, 2.0, 3.0, 5.0)
# Seconds between two probes of a session that is starting.
PROBE_RETRY_SECONDS = (1.0, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class Waiting:
    wait: bool = True  # False: --no-wait, fail at once when the job or session is not up
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
