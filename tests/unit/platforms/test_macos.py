"""The macOS branch on any OS, from outputs recorded in fixtures/platforms: Apple's ssh or
another build, the keychain, launchd's agent socket."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers.recordings import RecordedRunner, ok, recorded

from sshsetup.check_result import CheckResult, Status
from sshsetup.platforms.base import agent_kind
from sshsetup.platforms.macos import MacOSPlatform
from sshsetup.process import CommandResult

APPLE_PROBE = ("ssh", "-G", "-F", "/dev/null", "-o", "UseKeychain=no", "localhost")


def macos(apple: bool, tmp_path: Path, **env: str) -> MacOSPlatform:
    answers = {
        ("ssh", "-V"): ok(
            stderr=recorded("macos/ssh_v_apple.txt" if apple else "macos/ssh_v_homebrew.txt")
        ),
        APPLE_PROBE: ok()
        if apple
        else CommandResult(255, "", recorded("macos/usekeychain_probe_non_apple.txt")),
    }
    return MacOSPlatform(
        RecordedRunner(answers), {"HOME": str(tmp_path), **env}, launchd_dir=tmp_path / "launchd"
    )


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.id: result for result in results}


def test_apple_ssh_adds_keys_with_the_keychain_flag(tmp_path: Path) -> None:
    platform = macos(True, tmp_path)
    assert platform.ssh_add_argv(Path("/k")) == ["ssh-add", "--apple-use-keychain", "/k"]
    build = by_id(platform.system_checks({"addkeystoagent": ["yes"]}))
    assert build["macos.ssh_build"].status is Status.PASS
    assert build["macos.keychain"].status is Status.PASS
    assert "ssh-add --apple-load-keychain" in platform.empty_agent_fix(Path("/k"))


def test_homebrew_ssh_is_not_apples_and_gets_no_keychain_flags(tmp_path: Path) -> None:
    platform = macos(False, tmp_path)
    assert platform.ssh_add_argv(Path("/k")) == ["ssh-add", "/k"]
    build = by_id(platform.system_checks({}))["macos.ssh_build"]
    assert build.status is Status.WARN
    assert "OpenSSH_9.9p1, OpenSSL 3.4.0" in build.seen
    assert "IgnoreUnknown UseKeychain" in (build.fix or "")


def test_keys_forgotten_at_reboot_without_add_keys_to_agent(tmp_path: Path) -> None:
    result = by_id(macos(True, tmp_path).system_checks({"addkeystoagent": ["false"]}))[
        "macos.keychain"
    ]
    assert result.status is Status.WARN
    assert "UseKeychain yes" in (result.fix or "") and "--apple-load-keychain" in (result.fix or "")


@pytest.mark.posix_only
def test_missing_ssh_auth_sock_on_macos_points_at_launchds_socket(socket_dir: Path) -> None:
    listeners = socket_dir / "launchd" / "com.apple.launchd.AbC123" / "Listeners"
    listeners.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(listeners))
        platform = macos(True, socket_dir)
        candidates = platform.candidate_agent_sockets()
        assert candidates == [str(listeners)]
        assert platform.no_agent_fix(candidates).startswith(f"export SSH_AUTH_SOCK={listeners}")
    assert agent_kind(str(listeners)) == "openssh (launchd)"
