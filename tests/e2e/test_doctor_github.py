"""`sshsetup doctor --check-github`: `ssh -T git@github.com` offering the agent's keys only
(docs/agent.md#proving-github-accepts-the-agents-key), against a loopback sshd standing in for
github.com (helpers.github; the test ssh config points github.com at it): the suite never
reaches the real github.com."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.agents import make_key
from helpers.doctor import DoctorHome
from helpers.github import GREETING, GitHubStandIn, github_stand_in

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]


@pytest.fixture
def github(tmp_path: Path) -> Iterator[GitHubStandIn]:
    with github_stand_in(tmp_path / "github") as server:
        yield server


def test_github_accepts_the_key_in_the_agent(
    healthy_home: DoctorHome, github: GitHubStandIn
) -> None:
    github.authorize(healthy_home.ssh_dir / "id_ed25519.pub")
    healthy_home.config.write_text(healthy_home.config.read_text() + github.ssh_config_lines())

    run = healthy_home.doctor("--check-github")

    check = run.checks["agent.github"]
    assert check["status"] == "pass", run
    assert check["seen"].startswith("github.com accepts a key from the agent (id_ed25519@github")
    assert GREETING in check["seen"]
    assert run.failing() == []


def test_github_refuses_every_key_in_the_agent(
    healthy_home: DoctorHome, github: GitHubStandIn, socket_dir: Path
) -> None:
    """The agent holds a key GitHub does not know, and the one it knows is in no file doctor
    recognises as a git key: only asking github.com tells."""
    (healthy_home.home / "vault").mkdir()
    known = make_key(healthy_home.home / "vault" / "github_key", "github@vault")
    github.authorize(Path(f"{known}.pub"))
    healthy_home.config.write_text(healthy_home.config.read_text() + github.ssh_config_lines())
    for name in ("id_ed25519", "id_ed25519.pub"):  # ~/.ssh/id_ed25519 is not GitHub's key here
        (healthy_home.ssh_dir / name).rename(healthy_home.ssh_dir / f"work_{name}")
    healthy_home.start_agent(socket_dir, healthy_home.ssh_dir / "work_id_ed25519")

    run = healthy_home.doctor("--check-github")

    check = run.first_problem()
    assert (check["id"], check["status"]) == ("agent.github", "fail"), run
    assert "refused every key the agent offered" in check["seen"]
    assert "ssh-add <the key GitHub knows>" in check["fix"]
    assert str(healthy_home.key_file) not in check["fix"]
    healthy_home.agents[-1].add(known)  # load the key GitHub knows
    fixed = healthy_home.doctor("--check-github")
    assert fixed.status("agent.github") == "pass" and fixed.failing() == []
