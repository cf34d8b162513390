"""The knowledge the code relies on is in the repository, and the README matches the code:
every ``docs/FILE.md#anchor`` cited anywhere exists, nothing cites a document outside the
repository, and the README's tables of check ids and exit codes are the enums'."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from sshsetup import cli
from sshsetup.check_ids import CheckId
from sshsetup.exit_codes import ExitCode
from sshsetup.sandbox.home import EXAMPLE_HOSTS as SANDBOX_HOSTS
from sshsetup.sandbox.home import SandboxHome

REPO = Path(__file__).resolve().parents[2]
CITED_IN = ("sshsetup", "tests", "fixtures", "docs", "benchmarks")
CITATION = re.compile(r"docs/([a-z0-9-]+\.md)(?:#([a-z0-9_-]+))?")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.DOTALL)
    return {github_slug(heading) for heading in HEADING.findall(text)}


def _texts() -> list[Path]:
    files = [REPO / "README.md"]
    for directory in CITED_IN:
        files += [
            path
            for path in (REPO / directory).rglob("*")
            if path.is_file()
            and path.suffix in (".py", ".md", ".conf", ".txt", ".trussrc", ".toml", ".json")
            and "__pycache__" not in path.parts
        ]
    return files


def test_every_cited_docs_anchor_exists() -> None:
    missing = []
    cited = 0
    for path in _texts():
        for match in CITATION.finditer(path.read_text(errors="replace")):
            doc = REPO / "docs" / match.group(1)
            cited += 1
            if not doc.is_file():
                missing.append(f"{path.relative_to(REPO)}: {match.group(0)} (no such file)")
            elif match.group(2) and match.group(2) not in _anchors(doc):
                missing.append(f"{path.relative_to(REPO)}: {match.group(0)} (no such heading)")
    assert cited > 50
    assert not missing, "\n".join(missing)


def test_nothing_cites_the_shared_field_guide() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in _texts()
        if re.search(r"field[ -]guide", path.read_text(errors="replace"), re.IGNORECASE)
    ]
    assert not offenders


def test_readme_check_table_lists_every_check_id() -> None:
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_]+)`", readme, re.MULTILINE)
    listed = set(rows)
    for row in re.findall(r"^\| (`[a-z_]+\.[a-z_]+`(?:, `[a-z_]+\.[a-z_]+`)+) \|", readme, re.M):
        listed.update(re.findall(r"`([a-z_]+\.[a-z_]+)`", row))
    assert listed == {check.value for check in CheckId}


def test_readme_exit_code_table_is_the_enum() -> None:
    readme = (REPO / "README.md").read_text()
    table = dict(
        (int(code), text)
        for code, text in re.findall(r"^\| (\d+) \| (.+) \|$", readme, re.MULTILINE)
    )
    assert set(table) == {int(code) for code in ExitCode}


def _section(readme: str, heading: str) -> str:
    start = readme.index(f"\n## {heading}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end > 0 else None]


def _cells(row: str) -> list[str]:
    """A table row's cells: split at the pipes that are not escaped (``\\|`` in code)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_readme_commands_table_is_one_table_with_every_command() -> None:
    """GitHub renders a table only while each line is a row: a broken row ends it, and what
    follows shows as text."""
    section = _section((REPO / "README.md").read_text(), "Commands")
    lines = section.splitlines()
    header = lines.index("| command | what it does |")
    assert lines[header + 1] == "|---|---|"
    rows = []
    for line in lines[header + 2 :]:
        if not line.strip():
            break
        rows.append(line)
    assert all(len(_cells(row)) == 2 for row in rows), [r for r in rows if len(_cells(r)) != 2]
    after = lines[header + 2 + len(rows) :]
    assert not [line for line in after if line.startswith("| `sshsetup ")]  # no stray rows
    listed = " ".join(_cells(row)[0] for row in rows)
    app: Any = typer.main.get_command(cli.app)  # typer's own (vendored) click Group
    for name, command in app.commands.items():
        for sub in getattr(command, "commands", None) or [""]:
            # `remote list | set-default R | …`: a group's commands may share a row
            shown = f"sshsetup {name} {sub}".strip()
            assert shown in listed or f"`sshsetup {name}" in listed and f" {sub}" in listed, shown


def test_readme_shows_what_the_sandbox_prints() -> None:
    section = _section((REPO / "README.md").read_text(), "The sandbox")
    home = Path("/tmp/sandbox")
    prepared = SandboxHome(
        home, home / ".ssh" / "sandbox_config", home / ".ssh" / "x", home / "sandbox.env", {}
    )
    for host in SANDBOX_HOSTS:
        assert f"\n  {prepared.try_command(host)}\n" in section, host
