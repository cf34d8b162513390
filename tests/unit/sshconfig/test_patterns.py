"""Host patterns against the block's globs (sshsetup.sshconfig.patterns): which sections
can match a Baseten host."""

from __future__ import annotations

import pytest

from sshsetup.sshconfig.lines import split_lines
from sshsetup.sshconfig.patterns import globs_intersect, section_can_match


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("*", "training-job-*.ssh.baseten.co", True),
        ("*.ssh.baseten.co", "model-*.ssh.baseten.co", True),
        ("training-job-abc-?", "training-job-*.ssh.baseten.co", False),
        ("*.example.com", "training-job-*.ssh.baseten.co", False),
        ("TRAINING-JOB-*", "training-job-*.ssh.baseten.co", True),  # Match host ignores case
        ("model-*", "training-job-*.ssh.baseten.co", False),
    ],
)
def test_globs_intersect(first: str, second: str, expected: bool) -> None:
    assert globs_intersect(first, second) is expected


@pytest.mark.parametrize(
    ("content", "can_match"),
    [
        ("Host *", True),
        ("Host * !*.baseten.co", False),
        ("Host !training-job-*", False),
        ("Host build", False),
        ("Match all", True),
        ("Match exec true", True),
        ("Match canonical host *.example.com", False),
        ("Match originalhost model-*", True),
        ("Match host *.example.com exec true", False),
        ("Match user alice", True),
    ],
)
def test_section_can_match(content: str, can_match: bool) -> None:
    assert section_can_match(split_lines(content)[0]) is can_match
