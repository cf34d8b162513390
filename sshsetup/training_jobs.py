"""A training job as a command finds it: by the project a connection remembered (one call
to the job endpoint), else by the job search (which finds the project)."""

from __future__ import annotations

from pathlib import Path

from sshsetup.connect.api import SigningClient, TrainingJob
from sshsetup.connect.fetch import find_job


def known_job(client: SigningClient, job_id: str, project_file: Path | None) -> TrainingJob:
    """The job and its state (``project_file``: where a connection to one of the job's hosts
    remembered its project)."""
    try:
        project = project_file.read_text().strip() if project_file else ""
    except (OSError, UnicodeDecodeError):
        project = ""
    if project:
        return client.job(project, job_id)
    return find_job(client, job_id)
