"""The agent checks (sshsetup.checks.agent) on Linux, for real: real agents, real keys and
modes, real `ssh -G`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers.agents import RunningAgent, make_key, start_agent, stop_agent
from helpers.checks import agent_results

from sshsetup.agent.keys import public_key_fingerprint
from sshsetup.check_result import CheckResult, Status, exit_code_for
from sshsetup.checks.git_keys import GitKey
from sshsetup.exit_codes import ExitCode
from sshsetup.openssh import effective_settings
from sshsetup.paths import Paths
from sshsetup.platforms import platform_for, run_command

pytestmark = pytest.mark.linux_only


def checks(
    paths: Paths,
    env: dict[str, str],
    effective: dict[str, list[str]] | None = None,
    git: list[GitKey] | None = None,
) -> dict[str, CheckResult]:
    platform = platform_for("Linux", run_command, {"HOME": str(paths.home), **env})
    return agent_results(platform, paths, effective, git or [], timeout=1)


def git_key(path: Path) -> GitKey:
    return GitKey(path, public_key_fingerprint(Path(f"{path}.pub")), "a default key")


def ssh_g(config: Path, env: dict[str, str]) -> dict[str, list[str]]:
    output = subprocess.run(
        ["ssh", "-G", "-F", str(config), "training-job-x.ssh.baseten.co"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return effective_settings(output)


def test_no_agent_configured_fails_with_the_command_that_starts_one(agent_paths: Paths) -> None:
    results = checks(agent_paths, {})
    assert results["agent.location"].status is Status.FAIL
    assert "no agent configured" in results["agent.location"].seen
    assert 'eval "$(ssh-agent -s)"' in (results["agent.location"].fix or "")
    for check_id in ("agent.reachable", "agent.identities", "agent.key_count"):
        assert results[check_id].status is Status.SKIP
        assert results[check_id].needs == "agent.location"
    assert exit_code_for(results.values()) is ExitCode.CHECK_FAIL


def test_unset_sock_points_at_the_systemd_user_socket_when_it_exists(
    agent_paths: Paths, socket_dir: Path
) -> None:
    agent = start_agent(socket_dir / "openssh_agent")
    try:
        results = checks(agent_paths, {"XDG_RUNTIME_DIR": str(socket_dir)})
    finally:
        stop_agent(agent)
    assert results["agent.location"].fix == (
        f"export SSH_AUTH_SOCK={socket_dir / 'openssh_agent'}  "
        "(an agent socket that already exists)"
    )


def test_stale_socket_is_named_with_the_commands_to_replace_it(
    agent_paths: Paths, stale_agent_socket: Path
) -> None:
    result = checks(agent_paths, {"SSH_AUTH_SOCK": str(stale_agent_socket)})["agent.reachable"]
    assert result.status is Status.FAIL
    assert result.details["reason"] == "refused"
    assert result.fix == f'rm {stale_agent_socket} && eval "$(ssh-agent -s)"'


def test_socket_path_that_does_not_exist_is_told_apart(agent_paths: Paths, tmp_path: Path) -> None:
    result = checks(agent_paths, {"SSH_AUTH_SOCK": str(tmp_path / "gone.sock")})["agent.reachable"]
    assert (result.status, result.details["reason"]) == (Status.FAIL, "missing")
    assert result.fix and result.fix.startswith("unset SSH_AUTH_SOCK")


def test_plain_file_as_agent_is_told_apart(agent_paths: Paths, tmp_path: Path) -> None:
    plain = tmp_path / "agent.sock"
    plain.write_text("")
    result = checks(agent_paths, {"SSH_AUTH_SOCK": str(plain)})["agent.reachable"]
    assert (result.status, result.details["reason"]) == (Status.FAIL, "not_socket")


def test_empty_agent_fails_with_ssh_add_of_the_key_used_for_git_never_sshsetups(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    agent_paths.key_dir.mkdir(mode=0o700)
    make_key(agent_paths.key_file)
    user_key = make_key(agent_paths.ssh_dir / "id_ed25519")
    env = {"SSH_AUTH_SOCK": str(empty_agent.socket)}
    results = checks(agent_paths, env, git=[git_key(user_key)])
    assert results["agent.reachable"].status is Status.PASS
    assert results["agent.identities"].status is Status.FAIL
    fix = results["agent.identities"].fix or ""
    assert fix.startswith(f"ssh-add {user_key}  (or: sshsetup agent add)")
    assert str(agent_paths.key_file) not in fix
    nothing = checks(agent_paths, env)["agent.identities"].fix or ""
    assert nothing.startswith("ssh-add <the key GitHub knows>")
    assert str(agent_paths.key_file) not in nothing


def test_only_the_baseten_key_in_the_agent_while_git_needs_another_fails(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    agent_paths.key_dir.mkdir(mode=0o700)
    empty_agent.add(make_key(agent_paths.key_file, "sshsetup@laptop"))
    user_key = make_key(agent_paths.ssh_dir / "id_ed25519", "me@laptop")
    env = {"SSH_AUTH_SOCK": str(empty_agent.socket)}
    result = checks(agent_paths, env, git=[git_key(user_key)])["agent.identities"]
    assert result.status is Status.FAIL
    assert f"none of them is a key you use for git ({user_key})" in result.seen
    assert (result.fix or "").startswith(f"ssh-add {user_key}")
    empty_agent.add(user_key)
    loaded = checks(agent_paths, env, git=[git_key(user_key)])["agent.identities"]
    assert loaded.status is Status.PASS
    assert f"{user_key} (a default key) is in it" in loaded.seen


def test_loaded_keys_are_matched_to_key_files_on_disk(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    user_key = make_key(agent_paths.ssh_dir / "id_ed25519", "me@laptop")
    agent_paths.key_dir.mkdir(mode=0o700)
    sshsetup_key = make_key(agent_paths.key_file, "sshsetup@laptop")
    empty_agent.add(user_key)
    empty_agent.add(sshsetup_key)
    result = checks(agent_paths, {"SSH_AUTH_SOCK": str(empty_agent.socket)})["agent.identities"]
    assert result.status is Status.PASS
    matches = {key["comment"]: key["matches"] for key in result.details["keys"]}
    assert matches == {"me@laptop": f"{user_key}.pub", "sshsetup@laptop": f"{sshsetup_key}.pub"}


def test_key_loaded_from_elsewhere_is_listed_without_a_match(
    agent_paths: Paths, agent_with_key: tuple[RunningAgent, Path]
) -> None:
    agent, _ = agent_with_key
    result = checks(agent_paths, {"SSH_AUTH_SOCK": str(agent.socket)})["agent.identities"]
    assert result.details["keys"][0]["matches"] is None
    assert "(no key file on disk)" in result.seen


def test_more_than_five_keys_without_identities_only_warns(
    agent_paths: Paths, empty_agent: RunningAgent, tmp_path: Path
) -> None:
    for number in range(6):
        empty_agent.add(make_key(tmp_path / f"k{number}"))
    env = {"SSH_AUTH_SOCK": str(empty_agent.socket)}
    warned = checks(agent_paths, env, {"identitiesonly": ["no"]})["agent.key_count"]
    assert warned.status is Status.WARN
    assert "Too many authentication failures" in warned.seen
    assert "IdentitiesOnly yes" in (warned.fix or "")
    assert (
        checks(agent_paths, env, {"identitiesonly": ["yes"]})["agent.key_count"].status
        is Status.PASS
    )


def test_identity_agent_from_ssh_g_wins_over_ssh_auth_sock(
    agent_paths: Paths,
    agent_with_key: tuple[RunningAgent, Path],
    stale_agent_socket: Path,
    tmp_path: Path,
) -> None:
    agent, _ = agent_with_key
    config = tmp_path / "config"
    config.write_text(f"Host *.ssh.baseten.co\n  IdentityAgent {agent.socket}\n")
    env = {**os.environ, "SSH_AUTH_SOCK": str(stale_agent_socket)}
    results = checks(agent_paths, {"SSH_AUTH_SOCK": str(stale_agent_socket)}, ssh_g(config, env))
    assert results["agent.location"].details["source"] == "IdentityAgent"
    assert results["agent.reachable"].status is Status.PASS


def test_identity_agent_none_is_reported_as_the_agent_turned_off(
    agent_paths: Paths, empty_agent: RunningAgent, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text("Host *\n  IdentityAgent none\n")
    effective = ssh_g(config, dict(os.environ))
    result = checks(agent_paths, {"SSH_AUTH_SOCK": str(empty_agent.socket)}, effective)[
        "agent.location"
    ]
    assert result.status is Status.FAIL
    assert "IdentityAgent none" in result.seen
    assert result.fix == "remove `IdentityAgent none` for this host from your ssh config"


def test_identity_agent_naming_an_unset_variable_fails(agent_paths: Paths) -> None:
    result = checks(agent_paths, {}, {"identityagent": ["$MY_AGENT"]})["agent.location"]
    assert result.status is Status.FAIL
    assert "MY_AGENT is not set" in result.seen


def test_identity_agent_with_tilde_and_variable_expands(
    agent_paths: Paths, empty_agent: RunningAgent
) -> None:
    link = agent_paths.home / "agent-link"
    link.symlink_to(empty_agent.socket)
    results = checks(agent_paths, {"SUFFIX": "link"}, {"identityagent": ["~/agent-${SUFFIX}"]})
    assert results["agent.location"].details["address"] == str(link)
    assert results["agent.reachable"].status is Status.PASS


def test_private_key_readable_by_group_fails_with_chmod_600(agent_paths: Paths) -> None:
    key = make_key(agent_paths.ssh_dir / "id_ed25519")
    key.chmod(0o640)
    result = checks(agent_paths, {})["keys.permissions"]
    assert result.status is Status.FAIL
    assert "0640" in result.seen
    assert result.fix == f"chmod 600 {key}"
    key.chmod(0o600)
    assert checks(agent_paths, {})["keys.permissions"].status is Status.PASS


def test_config_writable_by_others_fails_with_chmod_go_w(agent_paths: Paths) -> None:
    agent_paths.ssh_config.write_text("Host x\n")
    agent_paths.ssh_config.chmod(0o666)
    result = checks(agent_paths, {})["config.permissions"]
    assert result.status is Status.FAIL
    assert result.fix == f"chmod go-w {agent_paths.ssh_config}"
