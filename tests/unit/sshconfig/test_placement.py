"""Where the block goes (sshsetup.sshconfig.placement): above the first section that can
match a Baseten host."""

from __future__ import annotations

import pytest

from sshsetup.sshconfig.lines import split_lines
from sshsetup.sshconfig.placement import first_anchor


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("Host build\n  User b\n", None),
        ("Host build\n  User b\nHost *\n  User me\n", 2),
        ("# build\nHost build\n\n# all\nHost *\n", 3),
        ("Compression yes\nUser me\nHost build\n", 1),
        # the block sets keepalives too, so a global one above it would win for Baseten hosts
        ("Compression yes\nServerAliveInterval 30\nHost build\n", 1),
        ("Include x.conf\nHost build\n", 0),
        ("Host build\n  Include x.conf\n", None),
        ("Host build\n  User b\nMatch exec true\n", 2),
    ],
)
def test_first_anchor(text: str, anchor: int | None) -> None:
    assert first_anchor(split_lines(text)) == anchor
