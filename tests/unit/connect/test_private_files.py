"""Private directories and link-free secrets (sshsetup.connect.private_files, and the atomic
writer's secret mode): what one user can set up against themselves. Directories another user
prepared are in tests/e2e/test_prepared_directories.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.plaintext_keys import PlaintextKeysProblem, read_plaintext_keys
from sshsetup.connect.private_files import ensure_private_dir, read_private
from sshsetup.errors import BadInput

pytestmark = pytest.mark.posix_only


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_missing_directories_are_created_0700(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "state"
    ensure_private_dir(target)
    for path in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert mode(path) == 0o700
    ensure_private_dir(target)  # and accepted as they are


def test_check_only_leaves_a_missing_directory_missing(tmp_path: Path) -> None:
    ensure_private_dir(tmp_path / "settings", create=False)
    assert not (tmp_path / "settings").exists()


@pytest.mark.parametrize(("bits", "who"), [(0o775, "its group"), (0o757, "everyone")])
def test_a_directory_others_can_write_is_refused_with_the_fix(
    tmp_path: Path, bits: int, who: str
) -> None:
    target = tmp_path / "state"
    target.mkdir()
    target.chmod(bits)
    with pytest.raises(BadInput) as caught:
        ensure_private_dir(target)
    assert f"{target} is writable by {who} (mode {bits:o})" in caught.value.message
    assert caught.value.hint == f"`chmod 700 {target}`"
    assert mode(target) == bits  # refused, never "repaired"


def test_a_readable_directory_of_ones_own_is_accepted(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    ensure_private_dir(target)
    assert mode(target) == 0o755  # never loosened, never tightened behind the user's back


def test_an_ancestor_others_can_write_is_refused_unless_sticky(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(BadInput) as caught:
        ensure_private_dir(shared / "mine" / "state")
    assert f"{shared} is writable by its group and everyone" in caught.value.message
    assert f"`chmod go-w {shared}`" in caught.value.hint
    assert not (shared / "mine").exists()  # checked before anything was created
    shared.chmod(0o1777)  # like /tmp: others cannot rename what is ours
    ensure_private_dir(shared / "mine" / "state")


def test_a_file_where_a_directory_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")
    with pytest.raises(BadInput, match="is not a directory"):
        ensure_private_dir(tmp_path / "state")
    with pytest.raises(BadInput, match=f"{tmp_path / 'state'} is not a directory"):
        ensure_private_dir(tmp_path / "state" / "sessions")


def test_a_link_to_a_private_directory_is_followed_and_its_target_checked(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    ensure_private_dir(tmp_path / "link")
    real.chmod(0o777)
    with pytest.raises(BadInput, match="writable by"):
        ensure_private_dir(tmp_path / "link")


def test_a_secret_replaces_a_planted_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim.chmod(0o644)
    secret = tmp_path / "host.json"
    secret.symlink_to(victim)
    write_atomic(secret, b"jwt", secret=True)
    assert victim.read_text() == "precious" and mode(victim) == 0o644
    assert not secret.is_symlink()
    assert (secret.read_bytes(), mode(secret)) == (b"jwt", 0o600)


def test_an_ordinary_write_still_follows_a_dotfile_link(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles-config"
    target.write_text("old")
    (tmp_path / "config").symlink_to(target)
    write_atomic(tmp_path / "config", b"new")
    assert (tmp_path / "config").is_symlink() and target.read_text() == "new"


@pytest.mark.parametrize(("existing", "kept"), [(0o400, 0o400), (0o600, 0o600), (0o644, 0o600)])
def test_a_secret_keeps_an_existing_mode_only_when_not_looser(
    tmp_path: Path, existing: int, kept: int
) -> None:
    path = tmp_path / "cert"
    path.write_bytes(b"old")
    path.chmod(existing)
    write_atomic(path, b"new", secret=True)
    assert mode(path) == kept


def test_reading_a_secret_never_follows_a_link(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("{}")
    (tmp_path / "host.json").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError, match="symbolic link"):
        read_private(str(tmp_path / "host.json"))


def test_a_lock_file_that_is_a_link_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    directory.mkdir(mode=0o700)
    (directory / "host.lock").symlink_to(tmp_path / "created-through-the-link")
    with pytest.raises(BadInput) as caught, file_lock(directory / "host.lock"):
        pass
    assert "symbolic link" in caught.value.message
    assert f"rm {directory / 'host.lock'}" in caught.value.hint
    assert not (tmp_path / "created-through-the-link").exists()


def test_the_plaintext_key_file_is_never_read_through_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"api_keys": {"baseten": "planted"}}')
    elsewhere.chmod(0o600)
    (tmp_path / "api-keys.plaintext.json").symlink_to(elsewhere)
    with pytest.raises(PlaintextKeysProblem, match="symbolic link"):
        read_plaintext_keys(str(tmp_path / "api-keys.plaintext.json"))
