"""`sshsetup doctor` in-process: its output contract (one JSON document, exit codes, plain
text) and which host it checks."""

from __future__ import annotations

import json

import pytest
from helpers.configs import FIXTURE_CONFIGS
from helpers.doctor import DOCTOR_HOST, DoctorHome

from sshsetup.check_ids import CheckId
from sshsetup.checks.graph import NEEDS

pytestmark = pytest.mark.linux_only

MODEL_HOST = "model-abc123-def456.ssh.baseten.co"


def test_json_is_one_document_on_stdout_and_nothing_else(healthy_home: DoctorHome) -> None:
    run = healthy_home.doctor()

    assert run.result.returncode == 0
    assert run.result.stderr == ""
    decoder = json.JSONDecoder()
    document, end = decoder.raw_decode(run.result.stdout)
    assert run.result.stdout[end:].strip() == ""
    assert document["status"] == "pass" and document["host"] == DOCTOR_HOST
    summary = {"pass": len(document["checks"]), "warn": 0, "fail": 0, "skip": 0}
    assert document["summary"] == summary
    for check in document["checks"]:
        assert set(check) == {"id", "status", "seen", "fix", "details", "needs"}
    ids = [check["id"] for check in document["checks"]]
    assert ids[:4] == ["openssh.client", "config.target", "config.accepted", "config.use_keychain"]
    assert ids.index("effective.forwardagent") < ids.index("certificate.agent_forwarding")
    assert ids.index("credentials.api_key") < ids.index("api.credentials")
    assert ids.index("api.credentials") < ids.index("agent.location")


def test_model_host_is_checked_against_the_model_section(healthy_home: DoctorHome) -> None:
    run = healthy_home.doctor(MODEL_HOST)

    assert run.checks["effective.user"]["seen"] == "app"
    assert run.checks["certificate.present"]["details"]["present"] is False
    assert run.failing() == []


def test_plain_text_names_each_check_and_its_fix_without_colour(healthy_home: DoctorHome) -> None:
    healthy_home.env.pop("SSH_AUTH_SOCK")

    result = healthy_home.run("doctor", "--config", str(healthy_home.config))

    assert result.returncode == 11
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    failing = lines.index(next(line for line in lines if line.startswith("FAIL  agent.location")))
    assert lines[failing + 1].startswith('      fix: eval "$(ssh-agent -s)"')
    assert "PASS  effective.forwardagent: yes" in lines
    assert "SKIP  agent.reachable: needs agent.location" in lines
    assert lines[-1] == f"doctor for {DOCTOR_HOST}: 26 passed, 0 warning(s), 1 failed, 3 skipped"


def test_a_host_with_shell_metacharacters_is_refused_cleanly(healthy_home: DoctorHome) -> None:
    result = healthy_home.run("doctor", "--json", "training-job-x-0.ssh.baseten.co;rm -rf ~")

    assert result.returncode == 3
    document = json.loads(result.stdout)  # with --json, the error too is one JSON object
    assert set(document) == {"ok", "error"} and document["ok"] is False
    assert document["error"]["exit_code"] == 3
    assert document["error"]["message"].startswith("host name") and document["error"]["hint"]
    assert result.stderr.startswith("error: host name") and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_alias_for_a_baseten_host_is_checked_as_that_host(healthy_home: DoctorHome) -> None:
    prepend_to_config = "Host myjob\n  HostName " + DOCTOR_HOST + "\n\n"
    healthy_home.config.write_text(prepend_to_config + healthy_home.config.read_text())

    run = healthy_home.doctor("myjob")

    assert run.checks["effective.user"]["seen"] == "baseten"
    assert run.checks["certificate.present"]["details"]["file"].endswith(f"{DOCTOR_HOST}-cert.pub")
    assert run.status("certificate.validity") == "pass"


def test_a_host_that_is_not_baseten_says_the_block_does_not_apply(
    healthy_home: DoctorHome,
) -> None:
    run = healthy_home.doctor("github.com")

    assert run.status("host.baseten") == "warn"
    assert "certificate.present" not in run.checks
    assert "workload.state" not in run.checks
    assert run.checks["effective.user"]["status"] == "pass"


CLI_BLOCK = (FIXTURE_CONFIGS / "baseten-cli-block.conf").read_text()
CLI_BLOCK = CLI_BLOCK[CLI_BLOCK.index("# --- baseten-cli-ssh ---") :]


@pytest.mark.parametrize(
    ("above", "status", "cli_serves"),
    [
        (False, "warn", []),  # below sshsetup's block: it serves nothing, its hook still runs
        (True, "fail", ["training-job-*.ssh.baseten.co", "model-*.ssh.baseten.co",
                        "*.model-*.ssh.baseten.co"]),
    ],
)  # fmt: skip
def test_the_go_cli_block_beside_sshsetups_is_named_with_the_hosts_it_serves(
    healthy_home: DoctorHome, above: bool, status: str, cli_serves: list[str]
) -> None:
    block = CLI_BLOCK.replace("@HOME@", str(healthy_home.home))
    ours = healthy_home.config.read_text()
    healthy_home.config.write_text(block + ours if above else ours + block)

    check = healthy_home.doctor().checks["block.other_clients"]

    assert check["status"] == status
    (other,) = check["details"]["other_blocks"]
    assert (other["client"], other["serves"]) == ("baseten ssh setup", cli_serves)
    assert "sshsetup setup --migrate" in check["fix"]
    assert (
        "the sshsetup block serves " + ("no host" if above else "training-job-*") in check["seen"]
    )


def test_connect_needs_a_real_host_and_remote_is_its_hidden_old_name(
    healthy_home: DoctorHome,
) -> None:
    for args in (["--connect"], ["--remote"], [DOCTOR_HOST, "--connect"]):
        result = healthy_home.run("doctor", "--json", *args)
        assert result.returncode == 2, result
        error = json.loads(result.stdout)["error"]
        assert "nothing to connect to" in error["message"]
        assert (
            "sshsetup doctor training-job-<job_id>-<node>.ssh.baseten.co --connect"
            in (error["hint"])
        )
    shown = healthy_home.run("doctor", "--help").stdout
    assert "--connect" in shown and "--check-github" in shown and "--remote" not in shown


def test_a_failure_skips_what_depends_on_it_and_the_order_follows_the_graph(
    healthy_home: DoctorHome,
) -> None:
    healthy_home.config.write_text("Host *\n  Compresion yes\n" + healthy_home.config.read_text())

    run = healthy_home.doctor()

    ids = [check["id"] for check in run.report["checks"]]
    for check in run.report["checks"]:
        for need in NEEDS.get(CheckId(check["id"]), ()):
            if need.value in ids:
                assert ids.index(need.value) < ids.index(check["id"]), (need, check["id"])
    skipped = run.skipped()
    assert skipped["effective.user"] == "config.accepted"
    assert skipped["host.baseten"] == "config.accepted"
    assert skipped["certificate.present"] == "config.accepted"  # through host.baseten
    skip = next(c for c in run.report["checks"] if c["id"] == "effective.user")
    assert skip == {
        "id": "effective.user",
        "status": "skip",
        "seen": "needs config.accepted",
        "fix": None,
        "details": {},
        "needs": "config.accepted",
    }
    assert run.report["summary"]["skip"] == len(skipped)
