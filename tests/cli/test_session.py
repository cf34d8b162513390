"""`sshsetup session HOST|JOB_ID` against the sandbox: a job's state and interactive sessions,
`--extend`, `--trigger`, what the API refuses, `--json`
(docs/baseten-protocol.md#interactive-sessions)."""

from __future__ import annotations

import json

import pytest
from helpers.sandbox import Client

from sshsetup.connect.baseten_cli_profiles import parse_rfc3339
from sshsetup.sandbox.workloads import project_of_job

pytestmark = pytest.mark.linux_only

JOB = "sessjob1"
HOST = f"training-job-{JOB}-0.ssh.baseten.co"


def session(client: Client, *args: str) -> dict[str, object]:
    done = client.run("session", *args, "--json")
    assert done.returncode == 0, done
    result: dict[str, object] = json.loads(done.stdout)
    return result


def sessions_of(result: dict[str, object]) -> list[dict[str, object]]:
    listed = result["sessions"]
    assert isinstance(listed, list)
    return listed


def test_show_a_running_job_and_its_ssh_and_tunnel_sessions(client: Client) -> None:
    workloads = client.sandbox.controls.workloads
    workloads.open_session(JOB, "0", trigger="on_startup")
    workloads.open_session(JOB, "1", tunnel=True)

    result = session(client, HOST)

    assert (result["job_id"], result["project_id"]) == (JOB, project_of_job(JOB))
    assert (result["status"], result["state"]) == ("TRAINING_JOB_RUNNING", "running")
    ssh, tunnel = sessions_of(result)
    assert (ssh["replica_id"], ssh["trigger"], ssh["auth_code"]) == ("g00r0", "on_startup", None)
    assert ssh["working_directory"] == "/workspace" and ssh["seconds_left"] > 8 * 3600 - 60  # type: ignore[operator]
    assert (tunnel["replica_id"], tunnel["tunnel_name"]) == ("g00r1", f"{JOB}-g00r1")
    assert tunnel["auth_code"] and tunnel["auth_url"] == "https://github.com/login/device"
    assert client.sandbox.controls.counts() == {"search": 1, "auth_codes": 1}
    text = client.run("session", JOB).stdout
    assert f"training job {JOB} is running" in text and "g00r0  trigger on_startup" in text
    assert f"enter code {tunnel['auth_code']} at https://github.com/login/device" in text


def test_a_host_connected_before_uses_the_remembered_project_and_the_job_endpoint(
    client: Client,
) -> None:
    assert client.run("cert", "fetch", HOST).returncode == 0
    client.sandbox.controls.reset_counters()

    result = session(client, HOST)

    assert result["state"] == "running"
    assert client.sandbox.controls.counts() == {"job": 1, "auth_codes": 1}


def test_the_first_ssh_connection_starts_an_on_demand_session(client: Client) -> None:
    assert sessions_of(session(client, JOB)) == []
    assert "no interactive session yet" in client.run("session", JOB).stdout

    client.run("cert", "fetch", HOST)
    assert client.ssh(HOST, "true").returncode == 0

    (started,) = sessions_of(session(client, JOB))
    assert (started["replica_id"], started["trigger"]) == ("g00r0", "on_demand")


def test_extend_adds_minutes_to_every_session(client: Client) -> None:
    workloads = client.sandbox.controls.workloads
    workloads.open_session(JOB, "0", trigger="on_startup", minutes=60)
    workloads.open_session(JOB, "1", trigger="on_startup", minutes=60)
    before = [parse_rfc3339(str(s["expires_at"])) for s in sessions_of(session(client, JOB))]

    result = session(client, JOB, "--extend", "90")

    after = [parse_rfc3339(str(s["expires_at"])) for s in sessions_of(result)]
    assert [b + 90 * 60 for b in before if b] == after
    updates = result["updates"]
    assert isinstance(updates, list) and len(updates) == 2
    assert updates[0] == {
        "session_id": sessions_of(result)[0]["session_id"],
        "replica_id": "g00r0",
        "message": "Session extended by 90 minutes",
    }
    assert client.sandbox.controls.calls("update_session") == 2


def test_trigger_changes_the_sessions_trigger(client: Client) -> None:
    client.sandbox.controls.workloads.open_session(JOB, "0")

    result = session(client, JOB, "--trigger", "on_failure")

    (changed,) = sessions_of(result)
    assert changed["trigger"] == "on_failure"


def test_trigger_for_a_job_without_a_session_goes_to_the_job_and_starts_one(
    client: Client,
) -> None:
    result = session(client, JOB, "--trigger", "on_startup")

    (started,) = sessions_of(result)
    assert started["trigger"] == "on_startup"
    assert client.sandbox.controls.calls("update_job_session") == 1


def test_what_the_api_refuses_is_reported_with_its_message(client: Client) -> None:
    client.sandbox.controls.workloads.open_session(JOB, "0", trigger="on_startup")

    done = client.run("session", JOB, "--trigger", "on_demand")

    assert done.returncode == 7
    assert "Baseten refused to change the interactive session" in done.stderr
    assert "Cannot change the trigger of an on_startup session" in done.stderr
    assert f"sshsetup session {JOB}" in done.stderr
    (unchanged,) = sessions_of(session(client, JOB))
    assert unchanged["trigger"] == "on_startup"


def test_extend_without_a_session_says_how_one_starts(client: Client) -> None:
    done = client.run("session", JOB, "--extend", "30")

    assert done.returncode == 3
    assert "has no interactive session to extend" in done.stderr
    assert f"ssh training-job-{JOB}-<node>.ssh.baseten.co" in done.stderr


def test_an_ended_job_shows_its_state_and_no_session(client: Client) -> None:
    client.sandbox.controls.workloads.set_job_status(JOB, "TRAINING_JOB_FAILED", "OOM")

    result = session(client, JOB)
    text = client.run("session", JOB).stdout

    assert (result["state"], result["error_message"]) == ("ended", "OOM")
    assert f"training job {JOB} has ended (FAILED: OOM)" in text and "hint:" in text


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (("model-m-d.ssh.baseten.co",), 3, "interactive sessions belong to training jobs"),
        (("not a job",), 3, "neither a training job id nor a training host name"),
        ((JOB, "--trigger", "sometimes"), 2, "unknown trigger 'sometimes'"),
        ((JOB, "--extend", "0"), 2, "--extend"),
        ((f"training-job-{JOB}-0.dev.ssh.baseten.co", "--remote", "prod"), 2, "differ"),
        (("nosuchjob",), 7, "training job nosuchjob was not found"),
    ],
)
def test_bad_targets_and_options(
    client: Client, args: tuple[str, ...], exit_code: int, fragment: str
) -> None:
    if args[0] == "nosuchjob":
        client.sandbox.controls.workloads.remove_job("nosuchjob")

    done = client.run("session", *args)

    assert done.returncode == exit_code, done
    assert fragment in done.stderr
