"""`sshsetup setup | remove | status` in-process on a temporary home, checked with real files,
the real `ssh -G` and the real `ssh-keygen`.

Unreadable config: the suite may run as root, which reads a chmod-000 file anyway, so "cannot be
read" is exercised with what nobody can read as a file: a FIFO and a directory at the config path.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import failed, ok
from helpers.configs import FIXTURE_CONFIGS, block_span, cut_block
from helpers.homes import Home

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.exit_codes import ExitCode

pytestmark = pytest.mark.posix_only

TRAINING_HOST, MODEL_HOST, ENVIRONMENT_HOST = EXAMPLE_HOSTS
USER_CONFIG = b"# my hosts\nHost build\n  HostName build.example.com\n\nHost *\n  User me\n"
OLD_MTIME_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09: any rewrite moves it


def age(path: Path) -> None:
    os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS), follow_symlinks=True)


def test_dry_run_prints_diff_and_writes_nothing(home: Home) -> None:
    home.write_config(USER_CONFIG, mode=0o640)
    age(home.config)
    result = ok(home.run("setup", "--dry-run", "--forward-agent"))
    assert result.stdout.startswith(f"--- {home.config} (now)\n+++ {home.config} (after)\n")
    assert "\n+# >>> sshsetup managed block" in result.stdout
    assert "\n+  ForwardAgent yes" in result.stdout
    assert "\n-" not in result.stdout.split("\n", 2)[2]  # nothing of the user's goes
    assert home.config.read_bytes() == USER_CONFIG
    assert home.config.stat().st_mtime_ns == OLD_MTIME_NS
    assert not home.key_dir.exists()
    assert not home.paths.settings_file.exists()
    assert not home.paths.backup_dir.exists()


def test_second_identical_run_is_already_up_to_date(home: Home) -> None:
    home.write_config(USER_CONFIG)
    ok(home.run("setup", "--forward-agent"))
    after_first = home.config.read_bytes()
    age(home.config)
    backups = sorted(home.paths.backup_dir.iterdir())
    second = ok(home.run("setup"))
    assert "already up to date" in second.stdout
    assert home.config.read_bytes() == after_first
    assert home.config.stat().st_mtime_ns == OLD_MTIME_NS
    assert sorted(home.paths.backup_dir.iterdir()) == backups
    dry = ok(home.run("setup", "--dry-run"))
    assert "already up to date" in dry.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("setup", "--json"),
        ("setup", "--json", "--dry-run"),
        ("status", "--json"),
        ("remove", "--json"),
        ("remove", "--json", "--dry-run"),
    ],
)
def test_json_prints_exactly_one_object(home: Home, args: tuple[str, ...]) -> None:
    home.write_config(USER_CONFIG)
    if args[0] != "setup":
        ok(home.run("setup"))
    result = ok(home.run(*args))
    decoder = json.JSONDecoder()
    document, end = decoder.raw_decode(result.stdout)
    assert isinstance(document, dict)
    assert result.stdout[end:].strip() == ""
    assert document["config"] == str(home.config)
    if args[0] in ("setup", "remove"):
        assert document["changed"] is True
        assert document["dry_run"] is ("--dry-run" in args)
        # Every key of the result is there, null when it does not apply.
        if "--dry-run" in args:
            assert document["diff"] and document["backup"] is None
        else:
            assert document["diff"] is None and document["backup"]
    if args == ("setup", "--json", "--dry-run"):
        assert document["written"] is None
    elif args == ("setup", "--json"):
        assert document["written"] == str(home.config)


def test_setup_json_describes_what_it_did(home: Home) -> None:
    home.write_config(USER_CONFIG)
    document = json.loads(ok(home.run("setup", "--json", "--add-keys-to-agent")).stdout)
    assert document["block_line"] == 5
    assert document["options"] == {
        "forward_agent": False,
        "add_keys_to_agent": True,
        "use_keychain": False,
        "keepalive_seconds": 15,
    }
    assert document["key"]["created"] is True
    assert document["key"]["path"] == str(home.key_dir / "id_ed25519")
    assert Path(document["backup"]).read_bytes() == USER_CONFIG


def test_options_remembered_and_turned_off(home: Home) -> None:
    home.write_config(USER_CONFIG)
    ok(home.run("setup", "--forward-agent", "--add-keys-to-agent"))
    for host in (TRAINING_HOST, MODEL_HOST):
        assert home.ssh_g(host).value("forwardagent") == "yes"
        assert home.ssh_g(host).value("addkeystoagent") == "true"
    assert "already up to date" in ok(home.run("setup")).stdout
    assert home.ssh_g(TRAINING_HOST).value("forwardagent") == "yes"
    ok(home.run("setup", "--no-forward-agent"))
    training = home.ssh_g(TRAINING_HOST)
    assert training.value("forwardagent") == "no"
    assert training.value("addkeystoagent") == "true"
    status = json.loads(ok(home.run("status", "--json")).stdout)
    assert status["options"] == {
        "forward_agent": False,
        "add_keys_to_agent": True,
        "use_keychain": False,
        "keepalive_seconds": 15,
    }
    assert status["block"]["current"] is True


def test_keepalives_are_on_by_default_remembered_and_can_be_turned_off(home: Home) -> None:
    home.write_config(USER_CONFIG)
    ok(home.run("setup"))
    for host in (TRAINING_HOST, MODEL_HOST, ENVIRONMENT_HOST):
        effective = home.ssh_g(host)
        assert effective.value("serveraliveinterval") == "15"
        assert effective.value("serveralivecountmax") == "3"
    assert home.ssh_g("build").value("serveraliveinterval") == "0"  # other hosts untouched
    assert (
        "options:  no ForwardAgent, AddKeysToAgent, UseKeychain; keepalives every 15 s"
        in ok(home.run("status")).stdout
    )
    ok(home.run("setup", "--keepalive", "30", "--forward-agent"))
    assert "already up to date" in ok(home.run("setup")).stdout  # remembered
    assert "options:  ForwardAgent; keepalives every 30 s" in ok(home.run("status")).stdout
    assert home.ssh_g(TRAINING_HOST).value("serveraliveinterval") == "30"
    assert home.settings_json["options"]["keepalive_seconds"] == 30  # type: ignore[index]
    ok(home.run("setup", "--keepalive", "off"))
    effective = home.ssh_g(TRAINING_HOST)
    assert effective.value("serveraliveinterval") == "0"
    assert "ServerAlive" not in home.config.read_text()
    assert json.loads(ok(home.run("status", "--json")).stdout)["options"]["keepalive_seconds"] == 0
    assert "options:  ForwardAgent; no keepalives" in ok(home.run("status")).stdout


@pytest.mark.parametrize("value", ["-5", "fast", "1.5", "3601"])
def test_a_keepalive_that_is_neither_seconds_nor_off_is_a_usage_error(
    home: Home, value: str
) -> None:
    failed(home.run("setup", "--keepalive", value), ExitCode.USAGE, f"--keepalive {value!r}", "off")
    assert not home.config.exists()


def test_symlinked_config_keeps_link_and_target_is_written(home: Home) -> None:
    dotfiles = home.home / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "ssh_config"
    target.write_bytes(USER_CONFIG)
    home.config.symlink_to("../dotfiles/ssh_config")
    ok(home.run("setup"))
    assert home.config.is_symlink()
    assert os.readlink(home.config) == "../dotfiles/ssh_config"
    assert cut_block(target.read_bytes()) == USER_CONFIG
    assert sorted(p.name for p in dotfiles.iterdir()) == ["ssh_config"]
    ok(home.run("remove"))
    assert home.config.is_symlink() and target.read_bytes() == USER_CONFIG


def test_existing_mode_kept_new_file_is_0600(home: Home) -> None:
    home.write_config(USER_CONFIG, mode=0o640)
    ok(home.run("setup"))
    assert stat.S_IMODE(home.config.stat().st_mode) == 0o640
    other = home.ssh_dir / "new-config"
    ok(home.run("setup", "--config", str(other)))
    assert stat.S_IMODE(other.stat().st_mode) == 0o600
    block_span(other.read_bytes())


def test_missing_ssh_dir_created_0700(ssh_home: Home) -> None:
    home = ssh_home
    home.ssh_dir.rmdir()
    ok(home.run("setup"))
    assert stat.S_IMODE(home.ssh_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.config.stat().st_mode) == 0o600


def test_config_option_targets_another_file(home: Home) -> None:
    other = home.home / "elsewhere.conf"
    other.write_bytes(USER_CONFIG)
    ok(home.run("setup", "--config", str(other)))
    assert cut_block(other.read_bytes()) == USER_CONFIG
    assert not home.config.exists()


def test_backup_created_and_named_by_status(home: Home) -> None:
    home.write_config(USER_CONFIG)
    result = ok(home.run("setup"))
    backups = list(home.paths.backup_dir.iterdir())
    assert len(backups) == 1
    backup = backups[0]
    assert backup.read_bytes() == USER_CONFIG
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert f"previous version saved as {backup}" in result.stdout
    status = json.loads(ok(home.run("status", "--json")).stdout)
    assert status["backup"] == str(backup)
    text = ok(home.run("status")).stdout
    assert f"backup:   {backup}" in text
    assert "margin:   300 s before a certificate expires" in text


def test_remove_after_setup_is_identity_and_keeps_key(home: Home) -> None:
    original = (FIXTURE_CONFIGS / "crlf.conf").read_bytes() + b"Host last\r\n  User x"
    home.write_config(original, mode=0o644)
    ok(home.run("setup", "--forward-agent", "--add-keys-to-agent"))
    key = home.key_dir / "id_ed25519"
    key_bytes = key.read_bytes()
    result = ok(home.run("remove"))
    assert home.config.read_bytes() == original
    assert stat.S_IMODE(home.config.stat().st_mode) == 0o644
    assert key.read_bytes() == key_bytes
    assert "were kept (--purge deletes them)" in result.stdout
    assert "nothing to remove" in ok(home.run("remove")).stdout


def test_remove_purge_deletes_key(home: Home) -> None:
    home.write_config(USER_CONFIG)
    ok(home.run("setup"))
    key = home.key_dir / "id_ed25519"
    dry = json.loads(ok(home.run("remove", "--purge", "--dry-run", "--json")).stdout)
    assert str(key) in dry["purged"] and key.exists()
    result = json.loads(ok(home.run("remove", "--purge", "--json")).stdout)
    assert not key.exists() and not key.with_name("id_ed25519.pub").exists()
    assert str(key) in result["purged"]
    assert home.config.read_bytes() == USER_CONFIG


def test_config_path_is_a_directory(home: Home) -> None:
    home.config.mkdir()
    for command in ("setup", "remove", "status"):
        failed(
            home.run(command),
            ExitCode.BAD_INPUT,
            f"{home.config} is not a regular file",
        )
    assert home.config.is_dir() and list(home.config.iterdir()) == []


def test_config_path_is_a_fifo_not_read(home: Home) -> None:
    os.mkfifo(home.config, 0o600)
    failed(home.run("setup"), ExitCode.BAD_INPUT, "is not a regular file")
    assert stat.S_ISFIFO(home.config.lstat().st_mode)


def test_ssh_dir_is_a_file(ssh_home: Home) -> None:
    home = ssh_home
    home.ssh_dir.rmdir()
    home.ssh_dir.write_bytes(b"not a directory\n")
    failed(
        home.run("setup"),
        ExitCode.BAD_INPUT,
        f"{home.ssh_dir} is not a directory",
    )
    assert home.ssh_dir.read_bytes() == b"not a directory\n"


def test_tool_settings_dir_is_a_file(home: Home) -> None:
    home.write_config(USER_CONFIG)
    home.settings_dir.write_bytes(b"")
    failed(home.run("setup"), ExitCode.BAD_INPUT, str(home.settings_dir))
    assert home.config.read_bytes() == USER_CONFIG


def test_orphan_marker_rejected_untouched(home: Home) -> None:
    data = home.install_fixture("orphan-start-marker.conf")
    failed(home.run("setup", "--json"), ExitCode.BAD_INPUT, "start marker without its end marker")
    assert home.config.read_bytes() == data


@pytest.mark.parametrize(
    ("make_key", "message"),
    [
        (lambda path: path.mkdir(), "is not a regular file, so it cannot be a private key"),
        (lambda path: path.write_bytes(b"hello\n"), "is not an OpenSSH private key"),
    ],
)
def test_key_file_of_wrong_type(home: Home, make_key: Callable[[Path], None], message: str) -> None:
    home.write_config(USER_CONFIG)
    home.key_dir.mkdir(mode=0o700)
    key = home.key_dir / "id_ed25519"
    make_key(key)
    failed(home.run("setup"), ExitCode.BAD_INPUT, str(key), message)
    assert home.config.read_bytes() == USER_CONFIG
    assert not key.with_name("id_ed25519.pub").exists()


def keygen(*args: str) -> str:
    return subprocess.run(
        ["ssh-keygen", *args], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    ).stdout


def test_generated_key_is_ed25519_openssh_0600_in_0700_dir(home: Home) -> None:
    result = json.loads(ok(home.run("setup", "--json")).stdout)
    key = home.key_dir / "id_ed25519"
    assert key.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.key_dir.stat().st_mode) == 0o700
    public = key.with_name("id_ed25519.pub").read_text().split()
    # The real OpenSSH reads the private key and derives the same public key from it.
    assert keygen("-y", "-f", str(key)).split()[:2] == public[:2]
    assert public[0] == "ssh-ed25519"
    fingerprint = keygen("-l", "-f", str(key.with_name("id_ed25519.pub"))).split()[1]
    assert result["key"]["fingerprint"] == fingerprint
    status = json.loads(ok(home.run("status", "--json")).stdout)
    assert status["key"]["fingerprint"] == fingerprint


def test_key_reused_never_overwritten(home: Home) -> None:
    ok(home.run("setup"))
    key = home.key_dir / "id_ed25519"
    before = (key.read_bytes(), key.stat().st_ino, key.stat().st_mtime_ns)
    second = json.loads(ok(home.run("setup", "--forward-agent", "--json")).stdout)
    assert second["key"]["created"] is False
    assert (key.read_bytes(), key.stat().st_ino, key.stat().st_mtime_ns) == before
    key.with_name("id_ed25519.pub").unlink()
    failed(home.run("setup", "--no-forward-agent"), ExitCode.BAD_INPUT, "is missing")
    assert key.read_bytes() == before[0]


def make_truss_key(home: Home) -> Path:
    truss_dir = home.ssh_dir / "baseten"
    truss_dir.mkdir(mode=0o700)
    key = truss_dir / "id_ed25519"
    keygen("-q", "-t", "ed25519", "-N", "", "-C", "truss", "-f", str(key))
    return key


def test_truss_key_reused_with_flag(home: Home) -> None:
    truss_key = make_truss_key(home)
    truss_bytes = truss_key.read_bytes()
    result = json.loads(ok(home.run("setup", "--reuse-truss-key", "--json")).stdout)
    assert result["key"]["path"] == str(truss_key) and result["key"]["created"] is False
    assert not (home.key_dir / "id_ed25519").exists()
    assert home.ssh_g(TRAINING_HOST).settings["identityfile"][0] == str(truss_key)
    assert "already up to date" in ok(home.run("setup")).stdout
    ok(home.run("remove", "--purge"))
    assert truss_key.read_bytes() == truss_bytes


def test_truss_key_declined_makes_own_key(home: Home) -> None:
    truss_key = make_truss_key(home)
    ok(home.run("setup", "--no-reuse-truss-key"))
    own = home.key_dir / "id_ed25519"
    assert own.exists()
    assert home.ssh_g(TRAINING_HOST).settings["identityfile"][0] == str(own)
    assert truss_key.exists()


@pytest.mark.parametrize("name", ["home with spaces", "hóme Jürgen ñ"])
def test_paths_with_spaces_and_non_ascii_home(make_home: Callable[[str], Home], name: str) -> None:
    home = make_home(name)
    home.write_config(USER_CONFIG)
    ok(home.run("setup", "--forward-agent"))
    data = home.config.read_bytes()
    key = home.key_dir / "id_ed25519"
    assert f'IdentityFile "{key}"'.encode() in data
    for host, user in ((TRAINING_HOST, "baseten"), (MODEL_HOST, "app")):
        effective = home.ssh_g(host)
        assert effective.returncode == 0, effective.stderr
        # The Match exec line ran the hook through its quoted path, or User would be "me".
        assert effective.value("user") == user
        assert effective.settings["identityfile"][0] == str(key)
        assert effective.value("certificatefile") == f"{home.key_dir}/certs/%h-cert.pub"
        assert str(home.key_dir) in effective.value("proxycommand")
    ok(home.run("remove"))
    assert home.config.read_bytes() == USER_CONFIG


def test_truss_key_offered_and_taken_by_default_without_terminal(home: Home) -> None:
    truss_key = make_truss_key(home)
    result = json.loads(ok(home.run("setup", "--yes", "--json")).stdout)
    assert result["key"]["path"] == str(truss_key)
    assert not (home.key_dir / "id_ed25519").exists()
    status = json.loads(ok(home.run("status", "--json")).stdout)
    assert status["key"]["path"] == str(truss_key)


@pytest.mark.parametrize(
    ("host", "user"),
    [
        (TRAINING_HOST, "baseten"),
        (MODEL_HOST, "app"),
        (ENVIRONMENT_HOST, "app"),
        ("training-job-x-0.model-y.ssh.baseten.co", "baseten"),  # training and environment globs
        ("model-a-b.model-c.ssh.baseten.co", "app"),  # model and environment globs
    ],
)
def test_each_name_matches_one_section_and_runs_one_hook(home: Home, host: str, user: str) -> None:
    """The environment section excludes what the sections above it serve
    (docs/ssh-config.md#one-section-per-host-name): `ssh -G -v` logs one hook run."""
    ok(home.run("setup"))

    verbose = subprocess.run(
        ["ssh", "-G", "-v", "-F", str(home.config), host],
        capture_output=True, text=True, env={**home.env, "SSHSETUP_NO_FETCH": "1"},
        stdin=subprocess.DEVNULL, timeout=30,
    )  # fmt: skip

    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stderr.count("Executing command:") == 1, verbose.stderr
    assert home.ssh_g(host).value("user") == user
