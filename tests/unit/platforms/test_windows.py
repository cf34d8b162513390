"""The Windows branch on any OS, from outputs recorded in fixtures/platforms: the ssh-agent
service, which ssh is first on PATH, what git uses, ACLs, the agent's named pipe."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.checks import agent_results
from helpers.recordings import RecordedRunner, ok, recorded

from sshsetup.check_result import CheckResult, Status
from sshsetup.paths import Paths
from sshsetup.platforms import platform_for
from sshsetup.platforms.windows import WindowsPlatform, parse_icacls, parse_service
from sshsetup.process import CommandResult

WHERE_SSH = ("where", "ssh")
SYSTEM32_SSH = "C:\\Windows\\System32\\OpenSSH\\ssh.exe"
GIT_SSH = "C:\\Program Files\\Git\\usr\\bin\\ssh.exe"
KEY = Path("C:\\Users\\me\\.ssh\\id_rsa")


def paths_in(directory: Path) -> Paths:
    return Paths.from_environment(
        {
            "HOME": str(directory),
            "SSHSETUP_CONFIG_DIR": str(directory),
            "SSHSETUP_STATE_DIR": str(directory),
            "SSHSETUP_SSH_CONFIG": str(directory / ".ssh" / "config"),
        }
    )


SYSTEM32_SSH_FIRST = {
    WHERE_SSH: ok(recorded("windows/where_ssh_system32_first.txt")),
    (SYSTEM32_SSH, "-V"): ok(stderr=recorded("windows/ssh_v_win32_9.5p1.txt")),
    ("git", "config", "--get", "core.sshCommand"): ok(
        recorded("windows/git_config_sshcommand_win32.txt")
    ),
}


def sc(query: str, qc: str) -> dict[tuple[str, ...], CommandResult]:
    def result(name: str) -> CommandResult:
        text = recorded(f"windows/{name}.txt")
        return CommandResult(1060 if "FAILED 1060" in text else 0, text, "")

    return {
        ("sc.exe", "query", "ssh-agent"): result(query),
        ("sc.exe", "qc", "ssh-agent"): result(qc),
    }


def windows(answers: dict[tuple[str, ...], CommandResult], **env: str) -> WindowsPlatform:
    platform = platform_for(
        "Windows",
        RecordedRunner(answers),
        {"USERNAME": "me", "USERPROFILE": "C:\\Users\\me", **env},
    )
    assert isinstance(platform, WindowsPlatform)
    return platform


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.id: result for result in results}


@pytest.mark.parametrize(
    ("query", "qc", "installed", "state", "start_type"),
    [
        ("sc_query_running", "sc_qc_auto", True, "running", "automatic"),
        ("sc_query_stopped", "sc_qc_demand", True, "stopped", "manual"),
        ("sc_query_stopped", "sc_qc_disabled", True, "stopped", "disabled"),
        ("sc_query_absent", "sc_qc_absent", False, None, None),
    ],
)
def test_sc_exe_outputs_are_read_by_their_numbers(
    query: str, qc: str, installed: bool, state: str | None, start_type: str | None
) -> None:
    answers = sc(query, qc)
    service = parse_service(
        answers[("sc.exe", "query", "ssh-agent")], answers[("sc.exe", "qc", "ssh-agent")]
    )
    assert (service.installed, service.state, service.start_type) == (installed, state, start_type)


def test_sc_exe_with_crlf_and_localised_words_still_parses() -> None:
    query = (
        recorded("windows/sc_query_running.txt")
        .replace("RUNNING", "EN COURS")
        .replace("\n", "\r\n")
    )
    qc = (
        recorded("windows/sc_qc_disabled.txt")
        .replace("DISABLED", "DÉSACTIVÉ")
        .replace("\n", "\r\n")
    )
    service = parse_service(ok(query), ok(qc))
    assert (service.state, service.start_type) == ("running", "disabled")


def test_disabled_service_fails_with_the_admin_powershell_commands() -> None:
    result = windows(sc("sc_query_stopped", "sc_qc_disabled")).service_check()
    assert result.status is Status.FAIL
    assert result.seen == "the ssh-agent service is stopped (start type disabled)"
    assert result.fix == (
        "in an administrator PowerShell:\n"
        "Get-Service ssh-agent | Set-Service -StartupType Automatic\n"
        "Start-Service ssh-agent"
    )


def test_stopped_manual_service_needs_only_start_service() -> None:
    result = windows(sc("sc_query_stopped", "sc_qc_demand")).service_check()
    assert result.status is Status.FAIL
    assert result.fix and result.fix.startswith("Start-Service ssh-agent\n")


def test_running_service_passes_and_absent_service_says_how_to_install() -> None:
    assert windows(sc("sc_query_running", "sc_qc_auto")).service_check().status is Status.PASS
    absent = windows(sc("sc_query_absent", "sc_qc_absent")).service_check()
    assert absent.status is Status.FAIL
    assert "FAILED 1060" in absent.seen
    assert "Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0" in (absent.fix or "")


def test_windows_ssh_first_on_path_passes() -> None:
    platform = windows(
        {
            WHERE_SSH: ok(recorded("windows/where_ssh_system32_first.txt")),
            (SYSTEM32_SSH, "-V"): ok(stderr=recorded("windows/ssh_v_win32_9.5p1.txt")),
        }
    )
    result = platform.ssh_on_path_check()
    assert result.status is Status.PASS
    assert result.details["version"] == "OpenSSH_for_Windows_9.5p1, LibreSSL 3.8.2"


def test_git_for_windows_ssh_first_on_path_warns() -> None:
    platform = windows(
        {
            WHERE_SSH: ok(recorded("windows/where_ssh_git_first.txt")),
            (GIT_SSH, "-V"): ok(stderr=recorded("windows/ssh_v_git_for_windows.txt")),
        }
    )
    result = platform.ssh_on_path_check()
    assert result.status is Status.WARN
    assert result.details["build"] == "git-for-windows"
    assert "cannot reach the Windows agent's pipe" in result.seen


def test_no_ssh_on_path_fails() -> None:
    result = windows(
        {WHERE_SSH: CommandResult(1, "", recorded("windows/where_ssh_none.txt"))}
    ).ssh_on_path_check()
    assert result.status is Status.FAIL


def test_git_configured_with_gits_own_ssh_fails_with_the_core_sshcommand_fix() -> None:
    platform = windows(
        {
            ("git", "config", "--get", "core.sshCommand"): ok(
                recorded("windows/git_config_sshcommand_git.txt")
            )
        }
    )
    result = platform.git_ssh_check()
    assert result.status is Status.FAIL
    assert result.fix == 'git config --global core.sshCommand "C:/Windows/System32/OpenSSH/ssh.exe"'


def test_git_without_ssh_command_warns_and_windows_ssh_passes() -> None:
    unset = windows(
        {("git", "config", "--get", "core.sshCommand"): CommandResult(1, "", "")}
    ).git_ssh_check()
    assert unset.status is Status.WARN
    configured = windows(
        {
            ("git", "config", "--get", "core.sshCommand"): ok(
                recorded("windows/git_config_sshcommand_win32.txt")
            )
        }
    )
    assert configured.git_ssh_check().status is Status.PASS


def test_git_ssh_command_environment_variable_wins_over_git_config() -> None:
    platform = windows({}, GIT_SSH_COMMAND=GIT_SSH)
    result = platform.git_ssh_check()
    assert (result.status, result.details["source"]) == (Status.FAIL, "GIT_SSH_COMMAND")


def test_key_only_the_user_can_access_passes_the_acl_check() -> None:
    platform = windows({("icacls", str(KEY)): ok(recorded("windows/icacls_key_good.txt"))})
    assert parse_icacls(KEY, recorded("windows/icacls_key_good.txt"))[0].principal == "MYDOMAIN\\me"
    assert platform.private_key_problem(KEY) is None


def test_key_readable_by_everyone_fails_with_the_icacls_fix() -> None:
    path = Path("\\Users\\User_Profile\\.ssh\\id_rsa.pub")
    platform = windows(
        {("icacls", str(path)): ok(recorded("windows/icacls_key_too_open.txt"))},
        USERNAME="USERPROFILE",
    )
    problem = platform.private_key_problem(path)
    assert problem is not None
    assert "Everyone:(RX)" in problem.seen
    assert "BUILTIN\\Administrators" not in problem.seen
    assert problem.fix.splitlines()[:2] == [
        f'icacls "{path}" /inheritance:r /grant:r "%USERNAME%:F"',
        f'icacls "{path}" /remove "Everyone"',
    ]


def test_config_readable_by_everyone_is_fine_but_modify_by_another_user_is_not() -> None:
    path = Path("\\Users\\User_Profile\\.ssh\\id_rsa.pub")
    answers = {("icacls", str(path)): ok(recorded("windows/icacls_key_too_open.txt"))}
    assert windows(answers, USERNAME="USERPROFILE").config_file_problem(path) is None
    problem = windows(answers, USERNAME="someone-else").config_file_problem(path)
    assert problem is not None and "USERPROFILE may write" in problem.seen


def test_windows_uses_the_pipe_when_ssh_auth_sock_is_unset(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    platform = windows(
        {
            **sc("sc_query_stopped", "sc_qc_disabled"),
            **SYSTEM32_SSH_FIRST,
        }
    )
    results = agent_results(platform, paths, timeout=0.5)
    assert results["agent.location"].details["address"] == "\\\\.\\pipe\\openssh-ssh-agent"
    reachable = results["agent.reachable"]  # the pipe does not exist: the service is stopped
    assert (reachable.status, reachable.details["reason"]) == (Status.FAIL, "missing")
    assert "Set-Service -StartupType Automatic" in (reachable.fix or "")


def test_windows_flags_a_unix_style_ssh_auth_sock_left_by_git_bash(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    platform = windows(
        {
            **sc("sc_query_running", "sc_qc_auto"),
            **SYSTEM32_SSH_FIRST,
        },
        SSH_AUTH_SOCK="/tmp/ssh-XXXXabc/agent.1234",
    )
    reachable = agent_results(platform, paths, timeout=0.5)["agent.reachable"]
    assert reachable.status is Status.FAIL
    assert "Unix-style path" in reachable.seen
    assert (reachable.fix or "").startswith("PowerShell: Remove-Item Env:SSH_AUTH_SOCK")


# --- which ssh VS Code's and Cursor's Remote-SSH run (docs/editors.md) ----------------------


def editor_settings(appdata: Path, directory: str, text: str | None) -> None:
    user = appdata / directory / "User"
    user.mkdir(parents=True)
    if text is not None:
        (user / "settings.json").write_text(text)


def test_no_editor_settings_means_nothing_to_check(tmp_path: Path) -> None:
    result = windows({}, APPDATA=str(tmp_path)).editor_ssh_check()
    assert result.status is Status.PASS and "nothing to check" in result.seen


def test_without_remote_ssh_path_gits_ssh_first_on_path_warns_with_the_setting_to_add(
    tmp_path: Path,
) -> None:
    editor_settings(tmp_path, "Code", '{\n  // "remote.SSH.path": "C:\\\\x\\\\ssh.exe",\n}\n')
    platform = windows(
        {WHERE_SSH: ok(recorded("windows/where_ssh_git_first.txt"))}, APPDATA=str(tmp_path)
    )

    result = platform.editor_ssh_check()

    assert result.status is Status.WARN
    assert f"VS Code's Remote-SSH runs {GIT_SSH} (no remote.SSH.path" in result.seen
    assert result.fix == (
        'in VS Code (and Cursor) settings.json: "remote.SSH.path": '
        '"C:\\\\Windows\\\\System32\\\\OpenSSH\\\\ssh.exe"'
    )
    assert result.details["remote_ssh_path"] == {"VS Code": None}  # the comment is no setting


def test_remote_ssh_path_set_to_windows_ssh_passes_for_each_editor(tmp_path: Path) -> None:
    editor_settings(
        tmp_path,
        "Code",
        '{"editor.fontSize": 13,\n "remote.SSH.path": '
        '"C:\\\\Windows\\\\System32\\\\OpenSSH\\\\ssh.exe"}',
    )
    editor_settings(tmp_path, "Cursor", None)  # installed, no settings yet
    platform = windows(
        {WHERE_SSH: ok(recorded("windows/where_ssh_system32_first.txt"))}, APPDATA=str(tmp_path)
    )

    result = platform.editor_ssh_check()

    assert result.status is Status.PASS, result.seen
    assert f"VS Code's Remote-SSH runs {SYSTEM32_SSH} (remote.SSH.path)" in result.seen
    assert f"Cursor's Remote-SSH runs {SYSTEM32_SSH} (no remote.SSH.path" in result.seen


def test_remote_ssh_path_set_to_gits_ssh_fails(tmp_path: Path) -> None:
    editor_settings(
        tmp_path,
        "Cursor",
        '{"remote.SSH.path": "C:\\\\Program Files\\\\Git\\\\usr\\\\bin\\\\ssh.exe"}',
    )
    platform = windows(
        {WHERE_SSH: ok(recorded("windows/where_ssh_system32_first.txt"))}, APPDATA=str(tmp_path)
    )

    result = platform.editor_ssh_check()

    assert result.status is Status.FAIL
    assert "cannot reach the Windows agent" in result.seen and "System32" in (result.fix or "")


def test_without_ssh_on_path_remote_ssh_falls_back_to_windows_then_gits_ssh(
    tmp_path: Path,
) -> None:
    editor_settings(tmp_path / "appdata", "Code", "{}")
    windir, program_files = tmp_path / "Windows", tmp_path / "Program Files"
    git_ssh = program_files / "Git" / "usr" / "bin" / "ssh.exe"
    git_ssh.parent.mkdir(parents=True)
    git_ssh.write_text("")
    nothing = {WHERE_SSH: CommandResult(1, "", recorded("windows/where_ssh_none.txt"))}
    env = {"APPDATA": str(tmp_path / "appdata"), "WINDIR": str(windir)}

    git_only = windows(nothing, **env, ProgramFiles=str(program_files)).editor_ssh_check()
    (windir / "System32" / "OpenSSH").mkdir(parents=True)
    (windir / "System32" / "OpenSSH" / "ssh.exe").write_text("")
    windows_first = windows(nothing, **env, ProgramFiles=str(program_files)).editor_ssh_check()
    neither = windows(nothing, APPDATA=env["APPDATA"], WINDIR=str(tmp_path)).editor_ssh_check()

    assert git_only.status is Status.WARN and str(git_ssh) in git_only.seen
    assert windows_first.status is Status.PASS
    assert windows_first.details["found_without_setting"] == str(
        windir / "System32" / "OpenSSH" / "ssh.exe"
    )
    assert neither.status is Status.WARN and "no ssh (none found)" in neither.seen
    assert "Add-WindowsCapability" in (neither.fix or "")
