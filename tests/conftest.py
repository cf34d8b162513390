"""Fixtures, and the platform-marker and strict-skip hooks; nothing else.

The classes and functions the fixtures build on are in ``helpers/`` (imported explicitly).
Platform markers skip a test on other operating systems; under SSHSETUP_STRICT_SKIPS=1
(set by .ci/run) any other skip fails the run, so a missing feature can never hide
behind a skip.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.agents import (
    RunningAgent,
    kill_agent,
    make_key,
    serve_once,
    short_directory,
    start_agent,
    stop_agent,
)
from helpers.certs import make_key_pair, write_ca
from helpers.doctor import DoctorHome
from helpers.homes import Home
from helpers.hostile_api import HostileApi, point_home_at
from helpers.hostile_proxy import HostileProxy
from helpers.keyrings import SecretService, start_secret_service
from helpers.sandbox import Client, ClientKey, Workstation, make_client_key, set_up_workstation
from helpers.splice import Workspace, splice_workspace
from helpers.users import shared_directory

from sshsetup.paths import Paths, passwd_home
from sshsetup.sandbox import Sandbox

PLATFORM_MARKERS = {
    "linux_only": (sys.platform.startswith("linux"), "needs Linux"),
    "posix_only": (os.name == "posix", "needs a POSIX system"),
    "windows_only": (sys.platform == "win32", "needs Windows"),
    "macos_only": (sys.platform == "darwin", "needs macOS"),
}
PLATFORM_SKIP_PREFIX = "other OS: "


def passwd_home_config() -> Path:
    return (passwd_home() or Path.home()) / ".ssh" / "config"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name, (supported, reason) in PLATFORM_MARKERS.items():
            if item.get_closest_marker(name) and not supported:
                item.add_marker(pytest.mark.skip(reason=PLATFORM_SKIP_PREFIX + reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("SSHSETUP_STRICT_SKIPS") or not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if not any(reason_text in reason for _, reason_text in PLATFORM_MARKERS.values()):
        report.outcome = "failed"
        report.longrepr = f"skipped for a reason other than the OS (strict skips): {reason}"


@pytest.fixture(autouse=True, scope="session")
def real_ssh_config_untouched() -> Iterator[None]:
    """No test may change the ssh config of the user running the suite (the one ssh reads
    by itself): every test home points sshsetup elsewhere (SSHSETUP_SSH_CONFIG)."""
    real = passwd_home_config()
    before = real.read_bytes() if real.exists() else None
    yield
    after = real.read_bytes() if real.exists() else None
    assert after == before, f"a test changed {real}"


# --- homes ----------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """A temporary HOME with every sshsetup location and a keyring file inside it."""
    return Home(tmp_path / "home")


@pytest.fixture
def ssh_home(home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """``home`` as the home of the passwd entry, so that the ssh config sshsetup manages by
    default is the one in it. In-process runs only (``sshsetup.paths.passwd_home`` answers
    with it): a real process would see the real passwd entry."""
    monkeypatch.setattr("sshsetup.paths.passwd_home", lambda: home.home)
    del home.env["SSHSETUP_SSH_CONFIG"]
    return home


@pytest.fixture
def make_home(tmp_path: Path) -> Callable[[str], Home]:
    """Homes with chosen directory names (spaces, non-ASCII...)."""

    def make(name: str) -> Home:
        return Home(tmp_path / name)

    return make


@pytest.fixture
def agent_paths(tmp_path: Path) -> Paths:
    """Paths of a HOME with ~/.ssh, pointing sshsetup's directories inside tmp_path."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    env = {
        "HOME": str(home),
        "SSHSETUP_CONFIG_DIR": str(tmp_path / "config"),
        "SSHSETUP_STATE_DIR": str(tmp_path / "state"),
        "SSHSETUP_KEY_DIR": str(home / ".ssh" / "sshsetup"),
        "SSHSETUP_SSH_CONFIG": str(home / ".ssh" / "config"),
    }
    return Paths.from_environment(env)


# --- agents ---------------------------------------------------------------------------------


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A short directory for Unix sockets (tmp_path can exceed the 108-byte limit)."""
    directory = short_directory()
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def empty_agent(socket_dir: Path) -> Iterator[RunningAgent]:
    """A real ``ssh-agent -D -a <socket>`` holding nothing."""
    agent = start_agent(socket_dir / "agent.sock")
    yield agent
    stop_agent(agent)


@pytest.fixture
def agent_with_key(empty_agent: RunningAgent, tmp_path: Path) -> tuple[RunningAgent, Path]:
    """``empty_agent`` with a fresh ed25519 key added by the real ssh-add."""
    key = make_key(tmp_path / "loaded_key")
    empty_agent.add(key)
    return empty_agent, key


@pytest.fixture
def stale_agent_socket(socket_dir: Path) -> Path:
    """The socket file an agent killed with SIGKILL left behind."""
    return kill_agent(start_agent(socket_dir / "stale.sock"))


@pytest.fixture
def silent_agent(socket_dir: Path) -> Iterator[Path]:
    """A Unix socket that takes the request and never answers."""
    with serve_once(socket_dir / "silent.sock", None) as path:
        yield path


# --- keys and ssh configs -------------------------------------------------------------------


@pytest.fixture
def signing_keys(tmp_path: Path) -> tuple[Path, Path]:
    """A CA private key (for ssh-keygen -s) and an ed25519 public key to certify."""
    write_ca(tmp_path / "ca")
    make_key_pair(tmp_path / "id_ed25519")
    return tmp_path / "ca", tmp_path / "id_ed25519.pub"


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    """Files for the splice property tests, shared by a module's generated examples."""
    with splice_workspace() as created:
        yield created


# --- the sandbox ----------------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A started Sandbox (signing API, TLS proxy, real sshd on 127.0.0.1), stopped after."""
    with Sandbox(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def client_key(tmp_path: Path) -> ClientKey:
    """A fresh ed25519 key pair made by the real ssh-keygen."""
    return make_client_key(tmp_path / "client")


@pytest.fixture
def client(sandbox: Sandbox, tmp_path: Path) -> Client:
    """A home set up as `sshsetup setup` leaves it (key, connect.json), using ``sandbox``."""
    return Client(tmp_path / "home", sandbox)


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for a whole module (its tests reset what they change)."""
    with Sandbox(tmp_path_factory.mktemp("shared-sandbox")) as running:
        yield running


@pytest.fixture
def station(home: Home, sandbox: Sandbox) -> Workstation:
    """A workstation set up (`sshsetup setup --yes`) and logged in to ``sandbox``."""
    return set_up_workstation(home, sandbox)


# --- hostile servers --------------------------------------------------------------------------


@pytest.fixture
def hostile_api() -> Iterator[HostileApi]:
    """A hostile signing API on loopback; a test sets what it answers (``respond``)."""
    with HostileApi() as api:
        yield api


@pytest.fixture
def hostile_home(home: Home, hostile_api: HostileApi) -> Home:
    """``home`` set up for the connect path and logged in to ``hostile_api``."""
    return point_home_at(home, hostile_api)


@pytest.fixture
def hostile_proxy(tmp_path: Path) -> Iterator[HostileProxy]:
    """A hostile SSH proxy (TLS on loopback, trusted through its own CA file)."""
    with HostileProxy(tmp_path / "hostile-proxy") as proxy:
        yield proxy


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A sticky, world-writable directory (like /tmp) where another user prepares attacks."""
    with shared_directory() as base:
        yield base


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    """A real Secret Service (gnome-keyring-daemon on a private D-Bus session bus)."""
    service = start_secret_service(tmp_path / "secret-service")
    yield service
    service.stop()


# --- doctor ---------------------------------------------------------------------------------


def reset_sandbox(sandbox: Sandbox) -> None:
    """Undo what a doctor test changes in a shared sandbox's world (jobs use their own ids)."""
    controls = sandbox.controls
    controls.agent_forwarding = True
    controls.ssh_enabled = True
    controls.refuse_jwt = False
    controls.reset_counters()
    sandbox.api_up()


@pytest.fixture
def doctor_home(tmp_path: Path, shared_sandbox: Sandbox) -> Iterator[DoctorHome]:
    """A Home for doctor pointed at ``shared_sandbox``'s API, not set up or logged in yet,
    without the caller's agent."""
    home = DoctorHome(tmp_path / "home")
    home.env.pop("SSH_AUTH_SOCK", None)
    home.use_sandbox(shared_sandbox)
    reset_sandbox(shared_sandbox)
    yield home
    home.stop_agents()
    reset_sandbox(shared_sandbox)


@pytest.fixture
def sandbox_home(doctor_home: DoctorHome) -> DoctorHome:
    """``doctor_home`` logged in (keyring) to the sandbox's API, not set up yet."""
    doctor_home.log_in()
    return doctor_home


@pytest.fixture
def healthy_home(sandbox_home: DoctorHome, socket_dir: Path) -> DoctorHome:
    """Set up with --forward-agent, logged in, the key the user uses for git in a real agent,
    a valid certificate: every check passes."""
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())
    sandbox_home.write_certificate()
    return sandbox_home
