"""`sshsetup agent check` and `sshsetup agent add` in-process, with real agents and keys."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers.agents import RunningAgent, make_key
from helpers.cli import CliResult, run_in_process

from sshsetup.exit_codes import ExitCode
from sshsetup.paths import Paths

pytestmark = pytest.mark.linux_only


def run_cli(*args: str, env: dict[str, str]) -> CliResult:
    return run_in_process(env, *args)


def cli_env(paths: Paths, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SSH_AUTH_SOCK"}
    env.update(
        HOME=str(paths.home),
        SSHSETUP_CONFIG_DIR=str(paths.settings_dir),
        SSHSETUP_STATE_DIR=str(paths.state_dir),
        SSHSETUP_KEY_DIR=str(paths.key_dir),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def test_cli_json_is_one_document_and_exit_zero_when_all_pass(
    agent_paths: Paths, agent_with_key: tuple[RunningAgent, Path]
) -> None:
    agent, _ = agent_with_key
    agent_paths.ssh_config.write_text("Host *\n  IdentitiesOnly yes\n")
    agent_paths.ssh_config.chmod(0o600)
    completed = run_cli(
        "agent",
        "check",
        "--json",
        "--config",
        str(agent_paths.ssh_config),
        env=cli_env(agent_paths, SSH_AUTH_SOCK=str(agent.socket)),
    )
    report = json.loads(completed.stdout)
    assert completed.returncode == 0, report
    assert report["status"] == "pass"
    assert [check["id"] for check in report["checks"]][:4] == [
        "agent.location",
        "agent.reachable",
        "agent.identities",
        "agent.key_count",
    ]


def test_cli_text_names_the_failure_without_colour_and_exits_check_fail(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    completed = run_cli(
        "agent", "check", env=cli_env(agent_paths, SSH_AUTH_SOCK=str(empty_agent.socket))
    )
    assert completed.returncode == ExitCode.CHECK_FAIL
    assert "FAIL  agent.identities: the agent holds no keys" in completed.stdout
    assert "\033[" not in completed.stdout


def test_agent_add_loads_the_key_used_for_git_never_sshsetups_unless_named(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    agent_paths.key_dir.mkdir(mode=0o700)
    make_key(agent_paths.key_file, "sshsetup@laptop")
    git_key = make_key(agent_paths.ssh_dir / "id_ed25519", "me@github")
    env = cli_env(agent_paths, SSH_AUTH_SOCK=str(empty_agent.socket))
    completed = run_cli("agent", "add", "--json", env=env)
    report = json.loads(completed.stdout)
    assert completed.returncode == 0, completed.stderr
    (loaded,) = report["keys"]
    assert loaded["listed"] is True and loaded["why"] == "a default key"
    assert loaded["command"] == ["ssh-add", str(git_key)]
    listed = subprocess.run(["ssh-add", "-l"], env=empty_agent.env, capture_output=True, text=True)
    assert loaded["fingerprint"] in listed.stdout and "sshsetup@laptop" not in listed.stdout
    named = run_cli("agent", "add", str(agent_paths.key_file), env=env)
    assert named.returncode == 0, named.stderr
    assert f"now lists {agent_paths.key_file}" in named.stdout and "named" in named.stdout


def test_agent_add_with_several_git_keys_takes_the_first_without_a_terminal(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    github = make_key(agent_paths.ssh_dir / "github_ed25519", "me@github")
    make_key(agent_paths.ssh_dir / "id_rsa", "me@old")
    agent_paths.ssh_config.write_text(f"Host github.com\n  IdentityFile {github}\n")
    agent_paths.ssh_config.chmod(0o600)
    env = cli_env(agent_paths, SSH_AUTH_SOCK=str(empty_agent.socket))
    completed = run_cli("agent", "add", "--yes", "--config", str(agent_paths.ssh_config), env=env)
    assert completed.returncode == 0, completed.stderr
    assert f"now lists {github}" in completed.stdout
    assert "IdentityFile for github.com" in completed.stdout
    listed = subprocess.run(["ssh-add", "-l"], env=empty_agent.env, capture_output=True, text=True)
    assert "me@github" in listed.stdout and "me@old" not in listed.stdout


def test_agent_add_without_a_key_for_git_says_how_to_name_one(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    agent_paths.key_dir.mkdir(mode=0o700)
    make_key(agent_paths.key_file)  # sshsetup's own key is not a key for git
    completed = run_cli(
        "agent", "add", env=cli_env(agent_paths, SSH_AUTH_SOCK=str(empty_agent.socket))
    )
    assert completed.returncode == ExitCode.BAD_INPUT
    assert completed.stderr.startswith("error: found no key you use for git (~/.ssh/id_ed25519")
    assert "sshsetup agent add PATH" in completed.stderr
    assert "Traceback" not in completed.stderr
    missing = run_cli(
        "agent", "add", str(agent_paths.ssh_dir / "nope"),
        env=cli_env(agent_paths, SSH_AUTH_SOCK=str(empty_agent.socket)),
    )  # fmt: skip
    assert missing.returncode == ExitCode.BAD_INPUT
    assert "nope does not exist or is not a file" in missing.stderr


def test_agent_add_of_a_too_open_key_reports_ssh_adds_refusal_and_the_chmod(
    agent_paths: Paths, empty_agent: RunningAgent, tmp_path: Path
) -> None:
    key = make_key(tmp_path / "open_key")
    key.chmod(0o644)
    completed = run_cli(
        "agent", "add", str(key), env=cli_env(agent_paths, SSH_AUTH_SOCK=str(empty_agent.socket))
    )
    assert completed.returncode == ExitCode.CHECK_FAIL
    assert f"hint: chmod 600 {key}" in completed.stderr
    assert key.stat().st_mode & 0o777 == 0o644  # never changed behind the user's back
