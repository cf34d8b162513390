"""`sshsetup list` in-process against the sandbox's API: the training jobs that run or are
starting, each model's production and development deployment, the exact lines that connect
to them, and the job ids kept for shell completion
(docs/baseten-protocol.md#listing-jobs-and-models)."""

from __future__ import annotations

import json
import time

import pytest
from helpers.sandbox import Client

from sshsetup.job_cache import read_jobs

pytestmark = pytest.mark.linux_only


def _world(client: Client) -> None:
    workloads = client.sandbox.controls.workloads
    for job_id, status in (
        ("ended1", "TRAINING_JOB_COMPLETED"),
        ("run1", "TRAINING_JOB_RUNNING"),
        ("dep1", "TRAINING_JOB_DEPLOYING"),
    ):
        workloads.set_job_status(job_id, status)
        time.sleep(1.1)  # created_at has whole seconds: the order is the creation order
    workloads.add_model("m1", "llama", "d1", "d2")
    workloads.add_model("m2", "draft", None)
    client.sandbox.controls.reset_counters()


def test_list_json_gives_jobs_running_or_starting_and_production_and_development_deployments(
    client: Client,
) -> None:
    _world(client)

    done = client.run("list", "--json")

    assert done.returncode == 0, done
    result = json.loads(done.stdout)
    jobs = {job["job_id"]: job for job in result["jobs"]}
    assert list(jobs) == ["dep1", "run1"]  # newest first; the ended job is not listed
    assert jobs["run1"]["state"] == "running" and jobs["dep1"]["state"] == "starting"
    assert jobs["run1"]["status"] == "TRAINING_JOB_RUNNING"
    assert jobs["run1"]["project_name"] == "project of run1"
    assert jobs["run1"]["age_seconds"] >= 1 and jobs["run1"]["created_at"].endswith("Z")
    assert jobs["run1"]["host"] == "training-job-run1-0.ssh.baseten.co"
    assert jobs["run1"]["ssh_command"] == "ssh training-job-run1-0.ssh.baseten.co"
    assert jobs["run1"]["sshsetup_command"] == "sshsetup ssh run1"
    deployments = [(d["model_id"], d["role"], d["deployment_id"]) for d in result["deployments"]]
    assert deployments == [("m1", "production", "d1"), ("m1", "development", "d2")]
    production, development = result["deployments"]
    assert production["ssh_command"] == "ssh model-m1-d1.ssh.baseten.co"
    assert production["environment_host"] == "production.model-m1.ssh.baseten.co"
    assert development["environment_host"] is None
    assert development["sshsetup_command"] == "sshsetup ssh m1 --deployment d2"
    assert (result["remote"], result["api_base_url"]) == ("baseten", client.sandbox.api_url)
    # Two requests, whatever the account holds.
    assert client.sandbox.controls.counts() == {"search": 1, "models": 1}


def test_list_text_shows_the_lines_that_connect_and_keeps_the_job_ids_for_completion(
    client: Client,
) -> None:
    _world(client)

    done = client.run("list")

    assert done.returncode == 0, done
    assert "  run1  RUNNING  project project of run1, created " in done.stdout
    assert "      ssh training-job-run1-0.ssh.baseten.co\n      sshsetup ssh run1\n" in done.stdout
    assert "      sshsetup ssh dep1   (waits until it runs)" in done.stdout
    assert "      ssh production.model-m1.ssh.baseten.co   (whatever production serves)" in (
        done.stdout
    )
    assert read_jobs(client.paths.job_list_file) == [
        ("dep1", "starting, project project of dep1"),
        ("run1", "running, project project of run1"),
    ]


def test_another_remote_gets_its_label_in_every_line_and_leaves_the_completion_list_alone(
    client: Client,
) -> None:
    _world(client)

    done = client.run("list", "--json", "--remote", "staging")

    assert done.returncode == 0, done
    result = json.loads(done.stdout)
    assert result["remote"] == "staging"
    assert result["jobs"][0]["host"] == "training-job-dep1-0.staging.ssh.baseten.co"
    assert result["jobs"][0]["sshsetup_command"] == "sshsetup ssh dep1 --remote staging"
    assert result["deployments"][0]["host"] == "model-m1-d1.staging.ssh.baseten.co"
    assert not client.paths.job_list_file.exists()


def test_an_empty_account_lists_none_and_an_api_failure_is_an_error(client: Client) -> None:
    empty = client.run("list")
    assert empty.returncode == 0, empty
    assert empty.stdout.count("  none\n") == 2

    client.sandbox.controls.fail_next(1, 500)
    failed = client.run("list", "--json")
    assert failed.returncode == 7, failed
    assert json.loads(failed.stdout)["error"]["exit_code"] == 7
    assert "Traceback" not in failed.stderr and "hint: " in failed.stderr
