"""What a training job's state means for connecting (sshsetup.connect.job_state), and the job
search's two spellings of a job's project (docs/baseten-protocol.md#training-job-lookup)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from sshsetup.baseten import JOB_ENDED, JOB_RUNNING, JOB_STARTING
from sshsetup.connect.api import SigningClient, TrainingJob
from sshsetup.connect.credentials import Credential, KeySource
from sshsetup.connect.job_state import ENDED, RUNNING, STARTING, UNKNOWN, describe, refused
from sshsetup.connect.model_environment import moved


def job(status: str | None, error: str | None = None) -> TrainingJob:
    return TrainingJob("j1", "p1", status, error)


@pytest.mark.parametrize(
    ("statuses", "phase"),
    [((JOB_RUNNING,), RUNNING), (JOB_STARTING, STARTING), (JOB_ENDED, ENDED)],
)
def test_every_state_falls_in_one_phase_with_its_own_words(
    statuses: tuple[str, ...], phase: str
) -> None:
    texts = set()
    for status in statuses:
        state = describe(job(status))
        assert state.phase == phase
        assert status.removeprefix("TRAINING_JOB_") in state.text or phase == RUNNING
        texts.add(state.text)
    assert len(texts) == len(statuses)  # each state its own message


def test_an_unknown_state_is_said_as_it_is() -> None:
    state = describe(job("TRAINING_JOB_HIBERNATING"))
    assert state.phase == UNKNOWN and "HIBERNATING" in state.text


def test_a_refused_running_job_points_at_workspace_enablement() -> None:
    error = refused(job(JOB_RUNNING), "the SSH proxy refused the connection (status 0x01)")
    assert error.message == (
        "training job j1 is running, yet the SSH proxy refused the connection (status 0x01): "
        "is the workload running with SSH enabled?"
    )
    assert "Baseten support turns them on" in error.hint
    ended = refused(job("TRAINING_JOB_DEPLOY_FAILED", "image pull failed"), "signing refused")
    assert ended.message.startswith("training job j1 has ended (DEPLOY_FAILED: image pull failed)")
    assert int(ended.exit_code) == 7


def test_a_moved_environment_names_both_deployments() -> None:
    assert moved("d1", "d1") is None
    assert moved("d1", "d2") == (
        "the environment now serves deployment d2 (the cached certificate is for deployment d1)"
    )
    assert moved(None, "d2") is not None


class _Search(BaseHTTPRequestHandler):
    answer: Any = None

    def do_POST(self) -> None:  # noqa: N802 (stdlib naming)
        self.rfile.read(int(self.headers["Content-Length"]))
        data = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def search_api() -> Iterator[tuple[HTTPServer, type[_Search]]]:
    handler = type("Handler", (_Search,), {})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "answer",
    [
        [{"id": "j1", "training_project": {"id": "p9"}, "current_status": JOB_RUNNING}],
        {"training_jobs": [{"id": "j1", "training_project_id": "p9", "current_status": None}]},
    ],
    ids=["truss 0.18.36", "Go CLI and the published API"],
)
def test_the_job_search_reads_both_spellings_of_the_project(
    search_api: tuple[HTTPServer, type[_Search]], answer: Any
) -> None:
    server, handler = search_api
    handler.answer = answer
    credential = Credential("k", "Api-Key", KeySource("baseten", "env", "BASETEN_API_KEY"))
    client = SigningClient(f"http://127.0.0.1:{server.server_address[1]}", credential, "baseten")

    found = client.find_job("j1")

    assert found is not None and (found.id, found.project_id) == ("j1", "p9")
    handler.answer = {"training_jobs": []}
    assert client.find_job("j1") is None
