"""The knowledge the code relies on is in the repository, and the README matches the code:
every ``docs/FILE.md#anchor`` cited anywhere exists, nothing cites a document outside the
repository, and the README's tables of check ids and exit codes are the enums'."""

from __future__ import annotations

import re
from pathlib import Path

from sshsetup.check_ids import CheckId
from sshsetup.exit_codes import ExitCode

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
