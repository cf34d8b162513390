"""Directories another user prepared (as the user ``baseten``, for real): a state, settings
or key directory that someone else owns or can write, or that sits below one they control,
is refused with a message naming it and the fix; nothing is written through the links
planted there, no file outside is touched, the API is never called; and a secret never
keeps a foreign file's owner or mode."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from helpers.cli import CliResult
from helpers.homes import Home
from helpers.hostile_api import MODEL_HOST, HostileApi, Signer
from helpers.sandbox import prepare_connect, run_connect
from helpers.users import ATTACKER, as_root, as_user

pytestmark = pytest.mark.linux_only


class Victim:
    """A file of the victim's outside sshsetup's directories, and where links point."""

    def __init__(self, base: Path) -> None:
        self.file = base / "victim.txt"
        self.file.write_text("precious\n")
        self.file.chmod(0o644)
        self.through_link = base / "created-through-a-link"

    def assert_untouched(self, api: HostileApi) -> None:
        """The victim's file as it was, nothing made through a link, the API never called."""
        assert self.file.read_text() == "precious\n"
        assert stat.S_IMODE(self.file.stat().st_mode) == 0o644
        assert self.file.stat().st_uid == os.geteuid()
        assert not self.through_link.exists()
        assert api.requests() == []


def plant(directory: Path, victim: Victim) -> None:
    """As the attacker: ``directory``/sessions (0777) with links where the session, the lock
    and the certificate of MODEL_HOST will be written."""
    sessions = directory / "sessions"
    as_user(ATTACKER, "mkdir", "-m", "777", str(sessions))
    for name in (f"{MODEL_HOST}.json", f"{MODEL_HOST}-cert.pub"):
        as_user(ATTACKER, "ln", "-s", str(victim.file), str(sessions / name))
    as_user(ATTACKER, "ln", "-s", str(victim.through_link), str(sessions / f"{MODEL_HOST}.lock"))


def attackers_state_dir(base: Path, victim: Victim) -> Path:
    """A state directory the attacker made (0777) and planted links in."""
    state = base / "state"
    as_user(ATTACKER, "mkdir", "-m", "777", str(state))
    plant(state, victim)
    return state


def fetch(home: Home, **directories: Path) -> CliResult:
    env = {name: str(path) for name, path in directories.items()}
    return home.run_with(env, "cert", "fetch", MODEL_HOST)


def assert_refused(result: CliResult, directory: Path, fix: str) -> None:
    assert result.returncode == 3, result
    assert str(directory) in result.stderr
    assert fix in result.stderr
    assert "Traceback" not in result.stderr


def test_a_state_dir_another_user_prepared_is_refused(
    hostile_home: Home, hostile_api: HostileApi, shared_tmp: Path
) -> None:
    victim = Victim(shared_tmp)
    state = attackers_state_dir(shared_tmp, victim)
    result = fetch(hostile_home, SSHSETUP_STATE_DIR=state)
    assert_refused(result, state, "belongs to baseten")
    assert "take it over: `chown" in result.stderr
    victim.assert_untouched(hostile_api)


def test_a_dir_below_one_another_user_owns_is_refused_before_anything_is_made(
    hostile_home: Home, hostile_api: HostileApi, shared_tmp: Path
) -> None:
    victim = Victim(shared_tmp)
    evil = shared_tmp / "evil"
    as_user(ATTACKER, "mkdir", "-m", "755", str(evil))
    result = fetch(hostile_home, SSHSETUP_STATE_DIR=evil / "mine" / "state")
    assert_refused(result, evil, "in a directory that only you and root control")
    assert os.listdir(evil) == []
    victim.assert_untouched(hostile_api)


def test_ones_own_world_writable_dir_with_planted_links_is_refused(
    hostile_home: Home, hostile_api: HostileApi, shared_tmp: Path
) -> None:
    victim = Victim(shared_tmp)
    state = shared_tmp / "mine"
    state.mkdir()
    state.chmod(0o777)  # the user's own mistake, which the attacker exploits
    plant(state, victim)
    result = fetch(hostile_home, SSHSETUP_STATE_DIR=state)
    assert_refused(result, state, f"`chmod 700 {state}`")
    assert "writable by its group and everyone (mode 777)" in result.stderr
    victim.assert_untouched(hostile_api)


def test_the_hook_refuses_too_in_one_line_and_exits_0(
    hostile_home: Home, hostile_api: HostileApi, shared_tmp: Path
) -> None:
    victim = Victim(shared_tmp)
    state = attackers_state_dir(shared_tmp, victim)
    hostile_home.env["SSHSETUP_STATE_DIR"] = str(state)
    runtime = prepare_connect(hostile_home.paths)  # connect.json names the prepared directory
    result = run_connect(runtime.hook, MODEL_HOST, hostile_home.env)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.count("\n") == 1 and f"{state} belongs to baseten" in result.stderr
    victim.assert_untouched(hostile_api)


def test_a_settings_dir_another_user_prepared_cannot_allow_a_proxy(
    hostile_home: Home, hostile_api: HostileApi, shared_tmp: Path
) -> None:
    settings = shared_tmp / "settings"
    as_user(ATTACKER, "mkdir", "-m", "755", str(settings))
    allow = {"remotes": {"baseten": {"allowed_proxy_hosts": ["evil.example"]}}}
    as_user(ATTACKER, "sh", "-c", f"echo '{json.dumps(allow)}' > {settings}/settings.json")
    result = fetch(hostile_home, SSHSETUP_CONFIG_DIR=settings)
    assert_refused(result, settings, "belongs to baseten")
    assert hostile_api.requests() == []  # so no proxy could be allowed


def test_setup_refuses_a_key_dir_another_user_prepared(home: Home, shared_tmp: Path) -> None:
    keys = shared_tmp / "keys"
    as_user(ATTACKER, "mkdir", "-m", "755", str(keys))
    as_user(ATTACKER, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "id_ed25519"))
    result = home.run_with({"SSHSETUP_KEY_DIR": str(keys)}, "setup", "--yes")
    assert_refused(result, keys, "belongs to baseten")
    assert not home.config.exists()  # no block pointing at the attacker's key


def test_a_foreign_cached_file_never_lends_its_owner_or_mode(
    hostile_home: Home, hostile_api: HostileApi
) -> None:
    hostile_api.respond = lambda request: Signer().answer(request)
    assert fetch(hostile_home).returncode == 0
    cert = hostile_home.paths.cert_dir / f"{MODEL_HOST}-cert.pub"
    as_root("chown", ATTACKER, str(cert))
    as_root("chmod", "666", str(cert))
    result = fetch(hostile_home)
    assert result.returncode == 0, result
    info = cert.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o600)
