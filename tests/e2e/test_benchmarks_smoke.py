"""The benchmark suite's smoke run (``python -m benchmarks --smoke``) as a real process:
it must finish and write a number for every figure, so the benchmarks cannot rot.
Nothing here checks speed (targets are for the full run, never for tests)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

CONNECT_FIGURES = {
    "hook_vs_python",
    "hook_vs_python_isolated",
    "hook_entry_vs_python_isolated",
    "connect_vs_direct",
    "sshsetup_ssh_vs_ssh",
    "cold_api_round_trips_training",
    "first_contact_api_round_trips_training",
    "cold_api_round_trips_model",
    "warm_api_round_trips_training",
    "warm_api_round_trips_model",
    "warm_api_round_trips_environment",
    "cold_api_round_trips_environment",
    "promoted_api_round_trips_environment",
    "cold_vs_warm",
    "throughput_download",
    "throughput_upload",
}
CLI_FIGURES = {
    "cli_help_seconds", "cli_help_vs_python", "cli_status_seconds", "cli_status_vs_python",
    "completion_help", "completion_noop_setup",
}  # fmt: skip
KEEPALIVE_FIGURES = {"keepalive_idle_session", "keepalive_dead_proxy"}
SMOKE_SIZES = (0, 100, 1_000)
EDITOR_FIGURES = {
    f"editor_{operation}_{size}"
    for operation in ("setup", "noop_setup", "remove")
    for size in (*SMOKE_SIZES, "growth")
}
TIMED_FIGURES = {name for name in CONNECT_FIGURES if "api_round_trips" not in name}


def test_smoke_run_writes_a_number_for_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["mode"] == "smoke" and results["targets_enforced"] is False
    figures = {figure["id"]: figure for figure in results["figures"]}
    assert set(figures) == CONNECT_FIGURES | CLI_FIGURES | EDITOR_FIGURES | KEEPALIVE_FIGURES
    for figure in figures.values():
        assert isinstance(figure["value"], float | int) and math.isfinite(figure["value"]), figure
    for name in TIMED_FIGURES | CLI_FIGURES:
        assert figures[name]["subject_seconds"] > 0 and figures[name]["reference_seconds"] > 0
        assert figures[name]["runs"] >= 1
    # A cached certificate means no network: the hook and warm connects made no API call.
    assert figures["hook_vs_python"]["details"]["api_calls_during_runs"] == 0
    assert figures["connect_vs_direct"]["details"]["api_calls_during_runs"] == 0
    # sshsetup ssh to a warm job asks the API nothing either: it checks the block and execs.
    assert figures["sshsetup_ssh_vs_ssh"]["details"]["api_calls_during_runs"] == 0
    # Keepalives (1 s in the smoke run) hold an idle session and notice a stalled proxy.
    assert figures["keepalive_idle_session"]["value"] == 2
    assert figures["keepalive_dead_proxy"]["details"]["exit_status"] == 255
    assert figures["keepalive_dead_proxy"]["value"] <= 4 + 2
    # A cold cache fetched with one call (job project remembered); a first contact searches too.
    assert figures["cold_api_round_trips_training"]["details"]["per_endpoint"] == {
        "sign_training": 1.0,
    }  # fmt: skip
    assert figures["first_contact_api_round_trips_training"]["details"]["per_endpoint"] == {
        "search": 1, "sign_training": 1,
    }  # fmt: skip
    assert figures["cold_api_round_trips_model"]["details"]["per_endpoint"] == {"sign_model": 1}
    # Per host form: a warm connect asks nothing, but an environment host its environment;
    # it signs only when that is cold or the environment moved to another deployment.
    for form in ("training", "model"):
        assert figures[f"warm_api_round_trips_{form}"]["details"]["per_endpoint"] == {}
    assert figures["warm_api_round_trips_environment"]["details"]["per_endpoint"] == {
        "environment": 1,
    }  # fmt: skip
    for name in ("cold_api_round_trips_environment", "promoted_api_round_trips_environment"):
        assert figures[name]["details"]["per_endpoint"] == {"environment": 1, "sign_model": 1}
    table_rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for figure in figures.values():
        assert any(row.startswith(f"| {figure['title']} ") for row in table_rows), figure["title"]
