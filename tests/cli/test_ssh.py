"""`sshsetup ssh` in-process against the sandbox: the checks before the hand-over and the
exact command ssh is given (the in-process runner records the hand-over instead of making it;
tests/e2e/test_ssh_command.py runs the real thing)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import CliResult, run_in_process
from helpers.homes import Home
from helpers.sandbox import Workstation

from sshsetup.exit_codes import ExitCode

pytestmark = pytest.mark.linux_only

JOB_HOST = "training-job-abc-0.ssh.baseten.co"


def sshsetup(station: Workstation, *args: str, env: dict[str, str] | None = None) -> CliResult:
    return run_in_process(env or station.env, *args)


def failed(result: CliResult, code: ExitCode, *fragments: str) -> None:
    assert result.returncode == code, str(result)
    assert result.handed_over is None, "ssh must not start after a failed check"
    assert "Traceback" not in result.stderr and "error: " in result.stderr
    assert "hint: " in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, str(result)


def ssh_path() -> str:
    import shutil

    found = shutil.which("ssh")
    assert found is not None
    return found


def test_a_job_id_becomes_its_host_and_everything_after_the_dashes_goes_to_ssh(
    station: Workstation,
) -> None:
    config = str(station.home.config)
    done = sshsetup(
        station, "ssh", "abc", "--config", config, "--", "-L", "8080:localhost:80", "uptime", "-p"
    )

    assert done.returncode == 0, done
    assert done.handed_over == (
        ssh_path(), "ssh", "-F", config, JOB_HOST, "-L", "8080:localhost:80", "uptime", "-p",
    )  # fmt: skip
    # The probe reached the proxy (and the sshd behind it) once, with no SSH bytes.
    assert station.sandbox.controls.calls("proxy_session") == 1


def test_forward_agent_node_and_remote_shape_the_command(station: Workstation) -> None:
    config = str(station.home.config)
    done = sshsetup(station, "ssh", "abc", "--node", "2", "--forward-agent", "--config", config)

    assert done.returncode == 0, done
    assert done.handed_over == (
        ssh_path(),
        "ssh",
        "-F",
        config,
        "-A",
        "training-job-abc-2.ssh.baseten.co",
    )


@pytest.mark.parametrize(
    ("args", "host"),
    [
        (("m1", "--deployment", "d1", "--replica", "r1"), "model-m1-d1-r1.ssh.baseten.co"),
        (("production.model-m1",), "production.model-m1.ssh.baseten.co"),
        (("model-m1-d1.ssh.baseten.co",), "model-m1-d1.ssh.baseten.co"),
    ],
)
def test_model_and_environment_targets_are_handed_over_without_asking_the_api(
    station: Workstation, args: tuple[str, ...], host: str
) -> None:
    station.sandbox.controls.reset_counters()
    done = sshsetup(station, "ssh", *args, "--config", str(station.home.config))

    assert done.returncode == 0, done
    assert done.handed_over is not None and done.handed_over[-1] == host
    assert station.sandbox.controls.counts() == {}  # their deployments have no session to start


def test_a_warm_job_host_is_handed_over_with_no_api_call_and_no_probe(
    station: Workstation,
) -> None:
    config = str(station.home.config)
    assert sshsetup(station, "ssh", "abc", "--config", config).returncode == 0
    station.sandbox.controls.reset_counters()

    again = sshsetup(station, "ssh", "abc", "--config", config)

    assert again.returncode == 0, again
    assert again.handed_over is not None and again.handed_over[-1] == JOB_HOST
    # The cached session is the one the proxy took last: nothing to ask, nothing to start.
    assert station.sandbox.controls.counts() == {}


def test_no_block_in_the_config_says_to_run_setup(home: Home) -> None:
    home.write_config(b"Host build\n  HostName build.example.com\n")
    failed(
        home.run("ssh", "abc"),
        ExitCode.BAD_INPUT,
        f"no sshsetup block in {home.config}",
        "sshsetup setup",
    )


def test_a_block_that_is_not_current_says_to_run_setup_with_the_config(home: Home) -> None:
    other = home.ssh_dir / "other_config"
    assert home.run("setup", "--config", str(other)).returncode == 0
    other.write_text(other.read_text().replace("IdentitiesOnly yes", "IdentitiesOnly no", 1))

    failed(
        home.run("ssh", "abc", "--config", str(other)),
        ExitCode.BAD_INPUT,
        "is not what `sshsetup setup` writes now",
        f"sshsetup setup --config {other}",
    )


def test_a_host_another_clients_block_serves_first_says_to_migrate(home: Home) -> None:
    assert home.run("setup").returncode == 0
    truss = (Path(__file__).parents[2] / "fixtures" / "configs" / "truss-block.conf").read_bytes()
    home.write_config(truss.replace(b"@HOME@", os.fsencode(home.home)) + home.config.read_bytes())

    failed(home.run("ssh", "abc"), ExitCode.BAD_INPUT, "`truss ssh setup`", "--migrate")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("abc", "--replica", "r1"), "--replica names a replica of a model deployment"),
        (("training-job-abc-0.ssh.baseten.co", "--node", "1"), "--node cannot be combined"),
        (("abc;id",), "characters not allowed"),
    ],
)
def test_targets_that_name_no_host_are_refused_before_anything_else(
    home: Home, args: tuple[str, ...], fragment: str
) -> None:
    result = home.run("ssh", *args)
    assert result.returncode in (ExitCode.USAGE, ExitCode.BAD_INPUT), result
    failed(result, ExitCode(result.returncode), fragment)


def test_no_ssh_on_path_is_a_failed_check(home: Home, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    failed(home.run_with({"PATH": str(empty)}, "ssh", "abc"), ExitCode.CHECK_FAIL, "no ssh on PATH")


def test_ssh_has_no_json_option(home: Home) -> None:
    result = home.run("ssh", "abc", "--json")
    assert result.returncode == ExitCode.USAGE and "--json" in result.stderr
