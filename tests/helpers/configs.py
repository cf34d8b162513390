"""The ssh config fixtures (fixtures/configs) and reading the managed block's place in a file,
independently of sshsetup's own parser."""

from __future__ import annotations

from helpers import FIXTURES_DIR

FIXTURE_CONFIGS = FIXTURES_DIR / "configs"
START_MARKER_PREFIX = b"# >>> sshsetup managed block"
END_MARKER_PREFIX = b"# <<< sshsetup managed block"


def block_span(data: bytes) -> tuple[int, int]:
    """0-based indexes of the (only) start and end marker lines."""
    lines = data.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(START_MARKER_PREFIX)]
    ends = [i for i, line in enumerate(lines) if line.strip().startswith(END_MARKER_PREFIX)]
    assert len(starts) == 1 and len(ends) == 1, f"expected one block, got {starts} {ends}"
    assert starts[0] < ends[0]
    return starts[0], ends[0]


def cut_block(data: bytes) -> bytes:
    """The bytes with the block's lines taken out: what "everything outside the block" is.

    A block added at the end of a file without a final newline carries no newline on its end
    marker; the newline before it then belongs to the block.
    """
    start, end = block_span(data)
    lines = data.splitlines(keepends=True)
    before, after = lines[:start], lines[end + 1 :]
    if not after and not lines[end].endswith(b"\n") and before:
        last = before[-1]
        before[-1] = last[:-2] if last.endswith(b"\r\n") else last[:-1]
    return b"".join(before) + b"".join(after)


def block_start_line(data: bytes) -> int:
    """1-based line number of the start marker."""
    return block_span(data)[0] + 1
