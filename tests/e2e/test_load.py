"""Load through the sandbox, with the real ssh, Match hook and ProxyCommand: 64 connections at
once to 64 jobs, then 64 at once to one job. Every one succeeds, each job is signed once,
and every cached file is intact and 0600. (Short-lived certificates under concurrency:
tests/e2e/test_hook.py.)"""

from __future__ import annotations

import json
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.sandbox import Workstation

from sshsetup.connect.certfile import parse_certificate

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

PARALLEL = 64


def connect_all(station: Workstation, hosts: list[str]) -> None:
    """``ssh HOST echo HOST`` for every host at once; each must print its host."""
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        results = list(pool.map(lambda host: station.ssh(host, f"echo {host}"), hosts))
    failures = [
        f"{host}: exit {result.returncode}: {result.stderr.strip()}"
        for host, result in zip(hosts, results, strict=True)
        if result.returncode != 0 or result.stdout.strip() != host
    ]
    assert not failures, f"{len(failures)} of {len(hosts)} failed:\n" + "\n".join(failures)


def assert_cache_intact(station: Workstation, hosts: set[str]) -> None:
    paths = station.home.paths
    certificates = {p.name[: -len("-cert.pub")]: p for p in paths.cert_dir.glob("*-cert.pub")}
    sessions = {p.stem: p for p in paths.session_dir.glob("*.json")}
    assert set(certificates) == set(sessions) == hosts
    for host in hosts:
        parse_certificate(certificates[host].read_bytes())  # complete, not half written
        assert json.loads(sessions[host].read_text())["jwt"]
    for directory in (paths.cert_dir, paths.session_dir):
        for path in directory.iterdir():
            assert not path.name.startswith(".sshsetup-tmp-"), path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_64_at_once_to_64_jobs_then_to_one_job_sign_once_per_job(station: Workstation) -> None:
    controls = station.sandbox.controls
    jobs = [f"training-job-load{index}-0.ssh.baseten.co" for index in range(PARALLEL)]
    connect_all(station, jobs)
    assert (controls.calls("search"), controls.calls("sign_training")) == (PARALLEL, PARALLEL)
    assert controls.calls("proxy_session") == PARALLEL
    assert_cache_intact(station, set(jobs))

    controls.reset_counters()
    one_job = "training-job-shared-0.ssh.baseten.co"
    connect_all(station, [one_job] * PARALLEL)
    assert (controls.calls("search"), controls.calls("sign_training")) == (1, 1)
    assert controls.calls("proxy_session") == PARALLEL
    assert_cache_intact(station, {*jobs, one_job})
