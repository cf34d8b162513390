"""Figures 1-5: the Match hook, connecting, a cold cache, API round-trips per host form, and
throughput, against the sandbox."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.figures import CALLS, RATIO, Figure, Target
from benchmarks.timing import Command, interleave
from benchmarks.workstation import (
    ENVIRONMENT_HOST,
    MODEL_HOST,
    TRAINING_HOST,
    Workstation,
    python_command,
)

HOOK_TARGET = Target("<=", 1.0)
CONNECT_TARGET = Target("<=", 1.5)
WRAPPER_TARGET = Target("<=", 1.25)  # one Python start-up and the checks on top of ssh
ROUND_TRIPS_TARGET = Target("<=", 1)
NO_ROUND_TRIP_TARGET = Target("<=", 0)
ENVIRONMENT_COLD_TARGET = Target("<=", 2)  # the lookup, then the sign
HOST_FORMS = (
    ("training", TRAINING_HOST),
    ("model", MODEL_HOST),
    ("environment", ENVIRONMENT_HOST),
)
THROUGHPUT_TARGET = Target(">=", 0.9)
COLD_API_LATENCY_SECONDS = 0.050


@dataclass(frozen=True)
class ConnectRounds:
    hook: int
    connect: int
    cold: int
    throughput: int
    payload_bytes: int
    warmup: int


def hook_figures(station: Workstation, rounds: ConnectRounds) -> list[Figure]:
    station.connect_once(TRAINING_HOST)  # a valid certificate and session are now cached
    python = Command("python -c pass", [*python_command(), "-c", "pass"], env=station.env)
    isolated = Command(
        "python -I -S -c pass", [*python_command(), "-I", "-S", "-c", "pass"], env=station.env
    )
    hook = Command("hook", station.hook_command(TRAINING_HOST), env=station.env)
    entry = Command("entry", station.hook_entry_command(TRAINING_HOST), env=station.env)
    calls_before = station.sandbox.controls.api_calls()
    samples = interleave(python, [isolated, hook, entry], rounds.hook, rounds.warmup)
    details = {
        "command": hook.argv,
        "api_calls_during_runs": station.sandbox.controls.api_calls() - calls_before,
    }
    entry_details = {**details, "command": entry.argv}
    return [
        Figure(
            "hook_vs_python", "Match hook (cached cert) vs python -c pass",
            samples.ratio("hook", python.name), RATIO, HOOK_TARGET,
            samples.median("hook"), python.name, samples.median(python.name),
            samples.count("hook"), details,
        ),
        Figure(
            "hook_vs_python_isolated", "Match hook (cached cert) vs python -I -S -c pass",
            samples.ratio("hook", isolated.name), RATIO, None,
            samples.median("hook"), isolated.name, samples.median(isolated.name),
            samples.count("hook"), details,
        ),
        Figure(
            "hook_entry_vs_python_isolated",
            "runtime hook.py alone (no shell, no guard) vs python -I -S -c pass",
            samples.ratio("entry", isolated.name), RATIO, None,
            samples.median("entry"), isolated.name, samples.median(isolated.name),
            samples.count("entry"), entry_details,
        ),
    ]  # fmt: skip


def connect_figure(station: Workstation, rounds: ConnectRounds) -> Figure:
    direct = Command("direct", station.ssh_direct(TRAINING_HOST, "true"), env=station.env)
    proxied = Command("proxied", station.ssh_through_proxy(TRAINING_HOST, "true"), env=station.env)
    return _against(
        station, "connect_vs_direct", "ssh host true: hook+proxy+TLS vs direct ssh",
        proxied, direct, "direct ssh", CONNECT_TARGET, rounds,
    )  # fmt: skip


def wrapper_figure(station: Workstation, rounds: ConnectRounds) -> Figure:
    """``sshsetup ssh <job> -- true`` against ``ssh <host> true``, certificate warm: the cost of
    the wrapper's start-up and block check before it execs the same ssh."""
    station.connect_once(TRAINING_HOST)
    job_id = TRAINING_HOST.removeprefix("training-job-").split("-0.")[0]
    plain = Command("ssh", station.ssh_through_proxy(TRAINING_HOST, "true"), env=station.env)
    wrapped = Command("sshsetup ssh", station.sshsetup_ssh(job_id, "true"), env=station.env)
    return _against(
        station, "sshsetup_ssh_vs_ssh", "sshsetup ssh <job> -- true vs ssh <host> true (warm)",
        wrapped, plain, "ssh <host> true", WRAPPER_TARGET, rounds,
        {"command": [*wrapped.argv[:5], "…"]},
    )  # fmt: skip


def _against(
    station: Workstation,
    figure_id: str,
    title: str,
    subject: Command,
    reference: Command,
    reference_label: str,
    target: Target,
    rounds: ConnectRounds,
    details: dict[str, object] | None = None,
) -> Figure:
    """``subject`` timed against ``reference`` in the same run, with the API calls they made
    and the CPU of each."""
    calls_before = station.sandbox.controls.api_calls()
    samples = interleave(reference, [subject], rounds.connect, rounds.warmup)
    return Figure(
        figure_id, title, samples.ratio(subject.name, reference.name), RATIO, target,
        samples.median(subject.name), reference_label, samples.median(reference.name),
        samples.count(subject.name),
        {
            **(details or {}),
            "api_calls_during_runs": station.sandbox.controls.api_calls() - calls_before,
            "median_cpu_seconds": {
                subject.name: samples.median_cpu(subject.name),
                reference.name: samples.median_cpu(reference.name),
            },
        },
    )  # fmt: skip


def cold_figures(station: Workstation, rounds: ConnectRounds) -> list[Figure]:
    """Connect with nothing cached, the API answering each request 50 ms late."""
    controls = station.sandbox.controls
    controls.api_latency_seconds = COLD_API_LATENCY_SECONDS
    try:
        warm = Command("warm", station.ssh_through_proxy(TRAINING_HOST, "true"), env=station.env)
        cold = Command(
            "cold", warm.argv, env=station.env, prepare=lambda: station.empty_cache(TRAINING_HOST)
        )
        before = Counter(controls.counts())
        samples = interleave(warm, [cold], rounds.cold, rounds.warmup)
        training_calls = _api_calls(Counter(controls.counts()) - before)
        cold_runs = rounds.cold + rounds.warmup
        model_calls = _cold_model_calls(station)
        first_contact_calls = _first_contact_training_calls(station)
    finally:
        controls.api_latency_seconds = 0.0
    per_training = sum(training_calls.values()) / cold_runs
    per_model = sum(model_calls.values())
    note = (
        "certificate and session gone, job seen before: sshsetup remembers the job's project, "
        "so one sign call; a job never seen before also needs the search (next figure)"
    )
    return [
        Figure(
            "cold_api_round_trips_training", "cold cache: API round-trips (training host)",
            per_training, CALLS, ROUND_TRIPS_TARGET, runs=cold_runs,
            details={"per_endpoint": {k: v / cold_runs for k, v in training_calls.items()}},
            note=note,
        ),
        Figure(
            "first_contact_api_round_trips_training",
            "first connection to a training job: API round-trips",
            sum(first_contact_calls.values()), CALLS, None, runs=1,
            details={"per_endpoint": dict(first_contact_calls)},
            note="Baseten's protocol has no sign call by job id alone: search the job's "
            "project, then sign (docs/baseten-protocol.md#training-job-lookup): 2 is the minimum",
        ),
        Figure(
            "cold_api_round_trips_model", "cold cache: API round-trips (model host)",
            per_model, CALLS, ROUND_TRIPS_TARGET, runs=1,
            details={"per_endpoint": dict(model_calls)},
        ),
        Figure(
            "cold_vs_warm", "cold cache (+50 ms API latency) vs warm connect",
            samples.ratio("cold", "warm"), RATIO, None,
            samples.median("cold"), "warm connect", samples.median("warm"),
            samples.count("cold"), {"api_latency_seconds": COLD_API_LATENCY_SECONDS},
        ),
    ]  # fmt: skip


def api_call_figures(station: Workstation) -> list[Figure]:
    """API round-trips of one connection, per host form: warm (certificate and session cached)
    and, for an environment host, cold and right after a promotion. An environment host asks
    which deployment it serves on every connection and signs only when that changed
    (docs/baseten-protocol.md#what-an-environment-connection-costs)."""
    figures = []
    for form, host in HOST_FORMS:
        station.connect_once(host)  # warm: cached from here on
        warm = _calls_of_one_connection(station, host)
        target = ROUND_TRIPS_TARGET if host == ENVIRONMENT_HOST else NO_ROUND_TRIP_TARGET
        figures.append(
            Figure(
                f"warm_api_round_trips_{form}", f"warm connect: API round-trips ({form} host)",
                sum(warm.values()), CALLS, target, runs=1, details={"per_endpoint": warm},
            )
        )  # fmt: skip
    station.empty_cache(ENVIRONMENT_HOST)
    cold = _calls_of_one_connection(station, ENVIRONMENT_HOST)
    station.sandbox.controls.workloads.promote(*_model_and_environment(ENVIRONMENT_HOST), "dep2")
    promoted = _calls_of_one_connection(station, ENVIRONMENT_HOST)
    return [
        *figures,
        Figure(
            "cold_api_round_trips_environment", "cold cache: API round-trips (environment host)",
            sum(cold.values()), CALLS, ENVIRONMENT_COLD_TARGET, runs=1,
            details={"per_endpoint": cold},
        ),
        Figure(
            "promoted_api_round_trips_environment",
            "first connect after a promotion: API round-trips (environment host)",
            sum(promoted.values()), CALLS, ENVIRONMENT_COLD_TARGET, runs=1,
            details={"per_endpoint": promoted},
            note="the environment now serves another deployment: the lookup, then its sign",
        ),
    ]  # fmt: skip


def _model_and_environment(host: str) -> tuple[str, str]:
    environment, model_label = host.split(".")[:2]
    return model_label.removeprefix("model-"), environment


def _calls_of_one_connection(station: Workstation, host: str) -> dict[str, int]:
    before = Counter(station.sandbox.controls.counts())
    station.connect_once(host)
    return _api_calls(Counter(station.sandbox.controls.counts()) - before)


def _api_calls(counts: Counter[str]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if not name.startswith("proxy_")}


def _first_contact_training_calls(station: Workstation) -> dict[str, int]:
    station.empty_cache(TRAINING_HOST, forget_job=True)
    return _calls_of_one_connection(station, TRAINING_HOST)


def _cold_model_calls(station: Workstation) -> dict[str, int]:
    station.empty_cache(MODEL_HOST)
    return _calls_of_one_connection(station, MODEL_HOST)


def throughput_figures(station: Workstation, rounds: ConnectRounds, scratch: Path) -> list[Figure]:
    size = rounds.payload_bytes
    payload = scratch / "payload.zeros"
    with open(payload, "wb") as sparse:
        sparse.truncate(size)  # zeros without writing them: reading costs no disk
    download = f"head -c {size} /dev/zero"
    upload = "cat > /dev/null"
    figures = []
    for direction, remote_command, stdin_file in (
        ("download", download, None),
        ("upload", upload, payload),
    ):
        direct = Command(
            "direct", station.ssh_direct(TRAINING_HOST, remote_command),
            env=station.env, stdin_file=stdin_file,
        )  # fmt: skip
        proxied = Command(
            "proxied", station.ssh_through_proxy(TRAINING_HOST, remote_command),
            env=station.env, stdin_file=stdin_file,
        )  # fmt: skip
        samples = interleave(direct, [proxied], rounds.throughput, rounds.warmup)
        mib = size / (1 << 20)
        figures.append(
            Figure(
                f"throughput_{direction}",
                f"{direction} {mib:g} MiB: proxied vs direct throughput",
                samples.ratio("direct", "proxied"), RATIO, THROUGHPUT_TARGET,
                samples.median("proxied"), "direct ssh", samples.median("direct"),
                samples.count("proxied"),
                {
                    "command": remote_command,
                    "bytes": size,
                    "proxied_mib_per_second": mib / samples.median("proxied"),
                    "direct_mib_per_second": mib / samples.median("direct"),
                    "median_cpu_seconds": {
                        "proxied": samples.median_cpu("proxied"),
                        "direct": samples.median_cpu("direct"),
                    },
                },
            )
        )  # fmt: skip
    payload.unlink()
    return figures
