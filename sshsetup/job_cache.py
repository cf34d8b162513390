"""The training jobs `sshsetup list` found last, kept for completing job ids in the shell:
reading them costs one small file, never an API call (completion runs on every Tab).

One line per job, ``<job_id>\\t<what it is>``, written atomically (0600) in the state dir
(``Paths.job_list_file``) by each `sshsetup list` of the default remote.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.private_files import ensure_private_dir


def write_jobs(path: Path, jobs: Sequence[tuple[str, str]]) -> None:
    """``jobs``: (job id, a few words about it) each."""
    ensure_private_dir(path.parent)
    text = "".join(f"{job_id}\t{_one_line(about)}\n" for job_id, about in jobs)
    write_atomic(path, text.encode(), new_file_mode=0o600)


def read_jobs(path: Path) -> list[tuple[str, str]]:
    """What the last `sshsetup list` wrote; nothing when it never ran or left nothing usable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    jobs = []
    for line in text.splitlines():
        job_id, _, about = line.partition("\t")
        if job_id:
            jobs.append((job_id, about))
    return jobs


def _one_line(text: str) -> str:
    return " ".join(text.split())
