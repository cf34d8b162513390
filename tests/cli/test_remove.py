"""`sshsetup remove`: a config setup created goes again when it holds nothing else (the state
before setup included its absence); `--purge` leaves nothing of sshsetup's but the backups
of the user's config and the API keys (`logout --all`)."""

from __future__ import annotations

import json

import pytest
from helpers.cli import ok
from helpers.homes import Home

from sshsetup.runtime import Runtime

pytestmark = pytest.mark.posix_only


def test_a_config_setup_created_is_deleted_when_it_holds_only_the_block(home: Home) -> None:
    ok(home.run("setup"))
    block = home.config.read_bytes()
    result = ok(home.run("remove")).stdout
    assert f"deleted {home.config}: sshsetup had created it" in result
    assert not home.config.exists()
    (backup,) = home.paths.backup_dir.iterdir()
    assert backup.read_bytes() == block  # nothing lost
    assert home.settings_json["created_config"] is None
    assert "nothing to remove" in ok(home.run("remove")).stdout


def test_a_config_setup_created_stays_when_the_user_added_to_it(home: Home) -> None:
    ok(home.run("setup"))
    with home.config.open("a") as handle:
        handle.write("Host mine\n  User me\n")
    ok(home.run("remove"))
    assert home.config.read_text() == "Host mine\n  User me\n"


def test_an_empty_config_the_user_had_stays_empty(home: Home) -> None:
    home.write_config(b"")
    ok(home.run("setup"))
    ok(home.run("remove"))
    assert home.config.read_bytes() == b""


def test_purge_takes_out_everything_sshsetup_made(home: Home) -> None:
    home.write_config(b"Host mine\n  User me\n")
    ok(home.run("setup", "--forward-agent"))
    paths = home.paths
    paths.cert_dir.mkdir()
    (paths.cert_dir / "training-job-a-0.ssh.baseten.co-cert.pub").write_text("cert\n")
    paths.session_dir.mkdir(parents=True)
    (paths.session_dir / "training-job-a-0.ssh.baseten.co.json").write_text("{}\n")
    result = json.loads(ok(home.run("remove", "--purge", "--json")).stdout)
    purged = set(result["purged"])
    for path in (
        paths.key_file,
        paths.public_key_file,
        paths.cert_dir,
        paths.session_dir,
        paths.installation_file,
        paths.runtime_dir,
        paths.settings_file,
    ):
        assert str(path) in purged and not path.exists(), path
    assert not paths.key_dir.exists() and not paths.settings_dir.exists()
    assert home.config.read_bytes() == b"Host mine\n  User me\n"
    assert result["kept"] == [str(paths.backup_dir)] and paths.backup_dir.is_dir()
    assert not Runtime(paths.runtime_dir).complete()


def test_purge_says_what_it_keeps(home: Home) -> None:
    ok(home.run("setup"))
    text = ok(home.run("remove", "--purge")).stdout
    assert "kept: API keys (`sshsetup logout --all` deletes them)" in text
    assert str(home.paths.runtime_dir) in text
    # this run's backup of the config it deleted is named; the lock file went last
    assert f"backups of your ssh config in {home.paths.backup_dir}" in text
    assert not home.paths.lock_file.exists()
    assert [p.name for p in home.paths.state_dir.iterdir()] == ["backups"]


@pytest.mark.parametrize("args", [(), ("--purge",)])
def test_remove_where_nothing_is_installed_creates_nothing(
    home: Home, args: tuple[str, ...]
) -> None:
    before = sorted(home.home.rglob("*"))
    assert "nothing to remove" in ok(home.run("remove", *args)).stdout
    assert sorted(home.home.rglob("*")) == before
