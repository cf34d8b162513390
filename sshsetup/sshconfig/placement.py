"""Where the managed block goes, and which lines compete with it (pure text analysis).

ssh_config is first-value-wins
(docs/ssh-config.md#put-the-managed-block-above-any-catch-all-host): a line that sets a keyword
for Baseten's hosts before the managed block silently beats the block. One walk over the lines
in scope for Baseten's hosts finds where the block must go (above the first such line) and, for
a block already in place, which lines above it shadow it; status and doctor name them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sshsetup.baseten import ANY_HOST_GLOB, HOST_GLOBS, OTHER_CLIENT_BLOCKS, WORKLOADS
from sshsetup.sshconfig.block import is_end_marker, is_start_marker
from sshsetup.sshconfig.keywords import (
    HOST,
    HOST_NAME,
    IGNORE_UNKNOWN,
    INCLUDE,
    MATCH,
    SHADOWING_KEYS,
    is_section,
)
from sshsetup.sshconfig.lines import ConfigLine, pattern_list
from sshsetup.sshconfig.patterns import HOST_CRITERIA, globs_intersect, section_can_match


@dataclass(frozen=True)
class Finding:
    line: ConfigLine
    message: str


def _in_scope(lines: Sequence[ConfigLine]) -> Iterator[tuple[int, ConfigLine]]:
    """The lines that apply to Baseten hosts: global lines, sections that can match them
    (the section line itself included) and the directives inside those sections."""
    active = True  # global scope applies to every host
    for index, line in enumerate(lines):
        if is_section(line.keyword):
            active = section_can_match(line)
        if active:
            yield index, line


def _competes(line: ConfigLine) -> bool:
    """Sets what the block sets (or re-routes), or includes files that may."""
    return line.keyword in SHADOWING_KEYS or line.keyword == INCLUDE.key


def first_anchor(lines: Sequence[ConfigLine]) -> int | None:
    """Index of the line the managed block must go above, or None (append at the end).

    That is the first of: a section that can match our hosts; a global line that sets a
    first-wins keyword the block sets; a global Include (its files can hold either).
    """
    for index, line in _in_scope(lines):
        if is_section(line.keyword) or _competes(line):
            return _above_leading_comments(lines, index)
    return None


def shadowing_lines(lines: Sequence[ConfigLine], block_start: int) -> list[Finding]:
    """Lines above the block that set, for Baseten hosts, what the block sets."""
    findings = []
    for _, line in _in_scope(lines[:block_start]):
        if is_section(line.keyword) or not _competes(line):
            continue
        effect = (
            "; anything the included files set for Baseten hosts wins over the block"
            if line.keyword == INCLUDE.key
            else ", so ssh uses it for Baseten hosts instead of the block's value"
        )
        findings.append(
            Finding(
                line, f"line {line.number}: `{line.content.strip()}` comes before the block{effect}"
            )
        )
    return findings


def aliases_after(lines: Sequence[ConfigLine], block_end: int) -> list[Finding]:
    """`Host alias` + `HostName training-job-…` after the block: the block misses them
    (``Match host`` sees a HostName only once it is set,
    docs/ssh-config.md#match-host-versus-match-originalhost-and-aliases)."""
    findings = []
    for line in lines[block_end + 1 :]:
        if (
            "baseten" in line.content.lower()  # cheap pre-check before parsing the line
            and line.keyword == HOST_NAME.key
            and line.args
            and any(globs_intersect(line.args[0], glob) for glob in HOST_GLOBS)
        ):
            findings.append(
                Finding(
                    line,
                    f"line {line.number}: HostName {line.args[0]} is set after the "
                    "block, so the block does not apply to that alias; "
                    "move the alias above the block",
                )
            )
    return findings


def _above_leading_comments(lines: Sequence[ConfigLine], index: int) -> int:
    """Keep a comment that directly precedes a section together with it, below the block."""
    while index > 0 and lines[index - 1].content.lstrip(" \t").startswith("#"):
        content = lines[index - 1].content
        if is_start_marker(content) or is_end_marker(content):
            break
        index -= 1
    return index


def other_baseten_entries(lines: Sequence[ConfigLine]) -> list[ConfigLine]:
    """Host/Match lines (outside our block) that target *.ssh.baseten.co hosts."""
    return [
        line
        for line in lines
        if _may_target_baseten(line.content) and is_section(line.keyword) and _targets_baseten(line)
    ]


def _may_target_baseten(content: str) -> bool:
    """Cheap and sound pre-check: without a wildcard a pattern must name the domain."""
    return "*" in content or "?" in content or "baseten" in content.lower()


def _targets_baseten(line: ConfigLine) -> bool:
    if line.keyword == HOST.key:
        patterns = pattern_list(line.args)
    else:
        args = list(line.args)
        patterns = [
            pattern
            for criterion, value in zip(args, args[1:], strict=False)
            if criterion.lower() in HOST_CRITERIA
            for pattern in pattern_list([value])
        ]
    positives = [p for p in patterns if not p.startswith("!")]
    return any(globs_intersect(p, ANY_HOST_GLOB) and p != "*" for p in positives)


SSHSETUP = "sshsetup"  # the managed block's owner, beside Baseten's clients in ManagedBlock


@dataclass(frozen=True)
class ManagedBlock:
    """A block some tool manages between marker lines (indexes of the marker lines)."""

    client: str  # the command that writes it: "truss ssh setup", "baseten ssh setup", sshsetup
    start: int
    end: int

    def contains(self, index: int) -> bool:
        return self.start <= index <= self.end


def find_client_blocks(lines: Sequence[ConfigLine]) -> list[ManagedBlock]:
    """The complete blocks written by Baseten's own clients (`truss ssh setup`, the Go CLI's
    `baseten ssh setup`), in file order (docs/reference-clients.md#go-cli-block-sections)."""
    marked = [i for i, line in enumerate(lines) if "baseten-" in line.content]
    blocks = []
    for client, start_marker, end_marker in OTHER_CLIENT_BLOCKS:
        start = next((i for i in marked if lines[i].content.strip() == start_marker), None)
        if start is None:
            continue
        end = next(
            (i for i in marked if i > start and lines[i].content.strip() == end_marker), None
        )
        if end is not None:
            blocks.append(ManagedBlock(client, start, end))
    return sorted(blocks, key=lambda block: block.start)


def hosts_served(
    lines: Sequence[ConfigLine], blocks: Sequence[ManagedBlock]
) -> dict[str, list[str]]:
    """For each block, the host globs (``baseten.WORKLOADS``) it serves first: ssh keeps the
    first value it reads, so of several blocks matching a host the earliest wins."""
    served: dict[str, list[str]] = {block.client: [] for block in blocks}
    ordered = sorted(blocks, key=lambda block: block.start)
    for workload in WORKLOADS:
        winner = next((b for b in ordered if _serves(lines, b, workload.example_host)), None)
        if winner is not None:
            served[winner.client].append(workload.host_glob)
    return served


def _serves(lines: Sequence[ConfigLine], block: ManagedBlock, host: str) -> bool:
    return any(
        line.keyword == MATCH.key
        and any(arg.lower() in HOST_CRITERIA for arg in line.args)
        and section_can_match(line, (host,))
        for line in lines[block.start : block.end + 1]
    )


def first_ignore_unknown(lines: Sequence[ConfigLine]) -> int | None:
    """Index of the first global IgnoreUnknown line, which is the only one that counts."""
    for index, line in enumerate(lines):
        if is_section(line.keyword):
            return None
        if line.keyword == IGNORE_UNKNOWN.key:
            return index
    return None
