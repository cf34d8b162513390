"""What `sshsetup setup` says and remembers, in-process on a temporary home: the first run,
changed choices, --dry-run and --print-block (nothing created), --python, --config (refused
in a missing directory, remembered by status, doctor and remove), a passwd home that is not
$HOME, a config setup cannot write, and the runtime after an upgrade."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from helpers.cli import failed, ok
from helpers.configs import cut_block
from helpers.homes import Home
from helpers.readonly import unwritable

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.exit_codes import ExitCode
from sshsetup.runtime import Runtime, Source, current_source, install
from sshsetup.sshconfig.block import END_MARKER, START_MARKER

pytestmark = pytest.mark.posix_only

TRAINING_HOST = EXAMPLE_HOSTS[0]
USER_CONFIG = b"Host build\n  HostName build.example.com\n"


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def mtime(path: Path) -> int:
    return path.stat().st_mtime_ns


def python_link(directory: Path) -> Path:
    """A Python of its own (a link to this one) that a test can take away."""
    directory.mkdir(parents=True)
    link = directory / "python3"
    link.symlink_to(os.path.realpath(sys.executable))
    return link


def test_first_setup_says_it_created_the_config_and_a_key_pair(home: Home) -> None:
    first = ok(home.run("setup")).stdout
    assert f"created {home.config} with the sshsetup block (line 1)" in first
    assert f"made a key pair: {home.key_file} (SHA256:" in first
    assert f"installed sshsetup's runtime in {home.paths.runtime_dir}" in first
    second = ok(home.run("setup")).stdout
    assert f"{home.config} is already up to date" in second
    assert "made a key pair" not in second and "runtime" not in second


def test_a_new_refresh_margin_is_said_and_shown_without_touching_the_config(home: Home) -> None:
    ok(home.run("setup"))
    written = mtime(home.config)
    result = ok(home.run("setup", "--refresh-margin", "60")).stdout
    assert "changed: refresh margin: 300 s -> 60 s" in result
    assert mtime(home.config) == written
    assert "margin:   60 s before a certificate expires" in ok(home.run("status")).stdout
    connect = json.loads((home.key_dir / "connect.json").read_text())
    assert connect["refresh_margin_seconds"] == 60


@pytest.mark.parametrize("flag", ["--dry-run", "--print-block"])
def test_dry_run_and_print_block_create_no_directory(ssh_home: Home, flag: str) -> None:
    home = ssh_home
    home.ssh_dir.rmdir()
    before = tree(home.home)
    result = ok(home.run("setup", flag))
    assert tree(home.home) == before
    if flag == "--print-block":
        block = result.stdout
        assert block.startswith(START_MARKER) and block.rstrip().endswith(END_MARKER)
        ok(home.run("setup"))
        assert block == home.config.read_text()


def test_print_block_is_the_block_setup_writes_into_an_existing_config(home: Home) -> None:
    home.write_config(USER_CONFIG)
    printed = json.loads(ok(home.run("setup", "--print-block", "--json")).stdout)["block"]
    assert home.config.read_bytes() == USER_CONFIG
    ok(home.run("setup"))
    assert printed + "\n" in home.config.read_text()


def test_python_option_is_remembered_until_auto(home: Home, tmp_path: Path) -> None:
    python = python_link(tmp_path / "my python")
    result = ok(home.run("setup", "--python", str(python))).stdout
    assert f"python: {python} (was chosen by sshsetup)" in result
    assert f"'{python}'" in home.ssh_g(TRAINING_HOST).value("proxycommand")
    assert home.settings_json["python"] == str(python)
    assert "already up to date" in ok(home.run("setup")).stdout
    assert f"python:   {python}\n" in ok(home.run("status")).stdout
    ok(home.run("setup", "--python", "auto"))
    assert home.settings_json["python"] is None
    assert f"'{python}'" not in home.ssh_g(TRAINING_HOST).value("proxycommand")


def test_a_python_that_cannot_serve_is_refused_before_the_block_is_written(
    home: Home, tmp_path: Path
) -> None:
    failed(
        home.run("setup", "--python", str(tmp_path / "nowhere" / "python3")),
        ExitCode.BAD_INPUT,
        "does not exist",
    )
    failed(
        home.run("setup", "--python", "/bin/false"),
        ExitCode.BAD_INPUT,
        "/bin/false cannot run sshsetup's runtime",
        "--python PATH",
    )
    (tmp_path / "no-certificates").mkdir()
    no_ca = {
        "SSL_CERT_FILE": str(tmp_path / "none.pem"),
        "SSL_CERT_DIR": str(tmp_path / "no-certificates"),
    }
    failed(
        home.run_with(no_ca, "setup"),
        ExitCode.BAD_INPUT,
        "finds no CA certificates",
        "SSL_CERT_FILE",
    )
    assert not home.config.exists()
    # The check runs once per interpreter and runtime copy: not again on every setup.
    ok(home.run("setup"))
    assert ok(home.run_with(no_ca, "setup", "--forward-agent")).returncode == 0


@pytest.mark.parametrize("how", ["--config", "SSHSETUP_SSH_CONFIG"])
def test_a_config_in_a_missing_directory_is_refused(home: Home, tmp_path: Path, how: str) -> None:
    config = tmp_path / "typo" / "config"
    result = (
        home.run("setup", "--config", str(config))
        if how == "--config"
        else home.run_with({"SSHSETUP_SSH_CONFIG": str(config)}, "setup")
    )
    failed(result, ExitCode.BAD_INPUT, f"the directory of {config} does not exist")
    assert not config.parent.exists() and not home.key_dir.exists()


def test_a_config_given_once_is_followed_by_status_doctor_and_remove(ssh_home: Home) -> None:
    home = ssh_home
    other = home.home / "work.conf"
    other.write_bytes(USER_CONFIG)
    result = ok(home.run("setup", "--config", str(other))).stdout
    assert f"changed: ssh config remembered: {other}" in result
    assert f"{other} (given with --config) is not the file ssh reads by itself" in result
    status = ok(home.run("status")).stdout
    assert f"config:   {other} (remembered)" in status
    assert "lines 3-" in status  # the block is found in the remembered file
    doctor = json.loads(home.run("doctor", "--json").stdout)
    target = next(c for c in doctor["checks"] if c["id"] == "config.target")
    assert target["status"] == "fail", target  # a plain ssh does not read it
    assert (
        f"sshsetup manages {other} (remembered from `sshsetup setup --config`)" in (target["seen"])
    )
    assert f"reads {home.config}" in target["seen"]
    assert f"or add `Include {other}` as the first line of {home.config}" in target["fix"]
    home.config.write_text(f"Include {other}\n")  # the Include way: now ssh reads it
    home.config.chmod(0o600)
    doctor = json.loads(home.run("doctor", "--json").stdout)
    target = next(c for c in doctor["checks"] if c["id"] == "config.target")
    assert target["status"] == "pass" and f"which includes {other}" in target["seen"]
    home.config.unlink()
    removed = ok(home.run("remove")).stdout
    assert f"took the sshsetup block out of {other}" in removed
    assert other.read_bytes() == USER_CONFIG and not home.config.exists()


def test_a_passwd_home_that_is_not_home_gets_the_block(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ssh reads ~/.ssh/config from the passwd entry's home: that is the file managed."""
    passwd_home = tmp_path / "passwd-home"
    (passwd_home / ".ssh").mkdir(parents=True)
    monkeypatch.setattr("sshsetup.paths.passwd_home", lambda: passwd_home)
    del home.env["SSHSETUP_SSH_CONFIG"]
    ssh_reads = passwd_home / ".ssh" / "config"
    note = f"$HOME is {home.home}, but ssh reads {ssh_reads} (your passwd entry's home)"
    result = ok(home.run("setup")).stdout
    assert f"created {ssh_reads}" in result and note in result
    assert not home.config.exists()
    status = ok(home.run("status")).stdout
    assert f"config:   {ssh_reads}\n" in status and note in status
    doctor = json.loads(home.run("doctor", "--json").stdout)
    target = next(c for c in doctor["checks"] if c["id"] == "config.target")
    assert target["status"] == "pass"
    assert target["seen"] == (
        f"ssh reads {ssh_reads} (your passwd entry's home; $HOME is {home.home}), the file "
        "sshsetup manages"
    )


def test_a_config_setup_cannot_write_exits_3_and_prints_the_block(home: Home) -> None:
    home.write_config(USER_CONFIG)
    printed = ok(home.run("setup", "--print-block")).stdout
    with unwritable(home.config) as how:
        result = home.run("setup")
    failed(result, ExitCode.BAD_INPUT, f"cannot write {home.config}", "--print-block")
    assert printed.rstrip() in result.stderr, how
    assert home.config.read_bytes() == USER_CONFIG
    # Everything but the block is in place: pasting the block is all that is left.
    assert home.key_file.is_file() and Runtime(home.paths.runtime_dir).complete()
    assert (home.key_dir / "connect.json").is_file() and home.paths.settings_file.is_file()


def test_a_config_linked_into_a_read_only_store_prints_the_block(home: Home) -> None:
    """home-manager and Nix link ~/.ssh/config into a read-only store."""
    store = home.home / "store"
    store.mkdir()
    (store / "ssh_config").write_bytes(USER_CONFIG)
    home.config.symlink_to(store / "ssh_config")
    with unwritable(store / "ssh_config", store):
        result = home.run("setup", "--json")
    failed(result, ExitCode.BAD_INPUT, f"(a link to {store / 'ssh_config'})", "home-manager")
    assert START_MARKER in result.stderr
    assert json.loads(result.stdout)["error"]["exit_code"] == ExitCode.BAD_INPUT
    assert home.config.is_symlink() and (store / "ssh_config").read_bytes() == USER_CONFIG


def test_any_command_refreshes_a_runtime_another_version_installed(home: Home) -> None:
    ok(home.run("setup"))
    runtime = Runtime(home.paths.runtime_dir)
    files = dict(current_source().files)
    files["sshsetup/__init__.py"] = b'__version__ = "0.0.1"\n'
    old = install(runtime, Source(files)).name
    written, config = mtime(home.config), home.config.read_bytes()
    result = ok(home.run("status"))
    new = runtime.current()
    assert new == current_source().name and old.startswith("v0.0.1-")
    assert f"refreshed sshsetup's runtime in {runtime.directory}: {old} -> {new}" in result.stderr
    assert (mtime(home.config), home.config.read_bytes()) == (written, config)
    assert "refreshed" not in ok(home.run("status")).stderr  # one read, nothing to do


def test_status_and_doctor_name_a_missing_python(home: Home, tmp_path: Path) -> None:
    python = python_link(tmp_path / "gone-python")
    ok(home.run("setup", "--python", str(python)))
    python.unlink()
    status = ok(home.run("status")).stdout
    assert f"python:   {python} (missing: run `sshsetup setup`)" in status
    doctor = json.loads(home.run("doctor", "--json").stdout)
    checks = {check["id"]: check for check in doctor["checks"]}
    runtime = checks["connect.runtime"]
    assert runtime["status"] == "fail" and str(python) in runtime["seen"]
    assert runtime["fix"].startswith("sshsetup setup --python auto")  # it was remembered
    # Nothing else is blamed: what needs the runtime is skipped.
    effective = [check for id_, check in checks.items() if id_.startswith("effective.")]
    assert effective and all(check["needs"] == "connect.runtime" for check in effective)
    assert [c["id"] for c in doctor["checks"] if c["status"] == "fail"][0] == "connect.runtime"


def test_status_and_doctor_name_a_missing_runtime(home: Home) -> None:
    ok(home.run("setup"))
    runtime = Runtime(home.paths.runtime_dir)
    (runtime.directory / str(runtime.current())).rename(runtime.directory / "moved")
    status = json.loads(ok(home.run("status", "--json")).stdout)
    assert status["runtime"]["complete"] is False and status["runtime"]["python_present"]
    doctor = json.loads(home.run("doctor", "--json").stdout)
    check = next(c for c in doctor["checks"] if c["id"] == "connect.runtime")
    assert check["status"] == "fail" and "is incomplete" in check["seen"]
    ok(home.run("setup"))
    assert runtime.complete()
    assert cut_block(home.config.read_bytes()) == b""


def test_a_python_inside_a_virtual_environment_is_taken_with_a_warning(
    home: Home, tmp_path: Path
) -> None:
    python = python_link(tmp_path / "venv" / "bin")
    (tmp_path / "venv" / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    result = ok(home.run("setup", "--python", str(python)))
    assert f"warning: {python} lives in a virtual environment" in result.stderr
    assert "--python auto" in result.stderr
