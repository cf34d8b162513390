"""Credential lookup (sshsetup.connect.credentials): keyring, file, env, trussrc, and the
shape of a key.

Lookups run in a fresh process of a temporary home whose keyring is a real PlaintextKeyring
file (helpers.homes); keys get there through `sshsetup login`, in-process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers.homes import Home

from sshsetup.connect.credentials import api_key_problem, validate_api_key
from sshsetup.errors import BadInput

KEYRING_KEY = "sk-keyring.KEYRINGSOURCE0001"
FILE_KEY = "sk-file.FILESOURCE0002"
ENV_KEY = "sk-env.ENVSOURCE0003"


def login(home: Home, key: str, *args: str) -> None:
    result = home.run("login", "--api-key-stdin", *args, input_text=key + "\n")
    assert result.returncode == 0, result


# --- lookup order ------------------------------------------------------------------------


def test_lookup_prefers_keyring_then_file_then_env_then_trussrc(home: Home) -> None:
    home.install_trussrc("single-remote.trussrc")
    env = {"BASETEN_API_KEY": ENV_KEY}
    assert home.resolve("baseten", env)["key"] == ENV_KEY  # env beats trussrc

    login(home, FILE_KEY, "--store", "file")
    found = home.resolve("baseten", env)
    assert (found["key"], found["source"]) == (FILE_KEY, "file")

    login(home, KEYRING_KEY)
    found = home.resolve("baseten", env)
    assert (found["key"], found["source"]) == (KEYRING_KEY, "keyring")
    assert found["location"] == "keyrings.alt.file.PlaintextKeyring"


def test_keyring_is_found_from_the_connect_paths_isolated_python(
    home: Home,
) -> None:
    login(home, KEYRING_KEY)
    found = home.resolve("baseten", connect_path_flags=True)
    assert (found["key"], found["source"]) == (KEYRING_KEY, "keyring")


def test_env_key_applies_to_every_remote_without_a_stored_key(home: Home) -> None:
    login(home, KEYRING_KEY, "--remote", "dev")
    env = {"BASETEN_API_KEY": f"  {ENV_KEY}  "}
    assert home.resolve("dev", env)["key"] == KEYRING_KEY
    other = home.resolve("staging", env)
    assert (other["key"], other["source"], other["location"]) == (ENV_KEY, "env", "BASETEN_API_KEY")


def test_malformed_env_key_is_skipped_with_a_note_that_does_not_quote_it(
    home: Home,
) -> None:
    home.install_trussrc("single-remote.trussrc")
    found = home.resolve("baseten", {"BASETEN_API_KEY": "two words"})
    assert found["source"] == "trussrc"
    assert found["key"] == "trussfixture.singleBASETEN0001"
    notes = " ".join(str(note) for note in found["notes"])  # type: ignore[attr-defined]
    assert "BASETEN_API_KEY" in notes and "whitespace" in notes
    assert "two words" not in notes


def test_nothing_found_gives_none(home: Home) -> None:
    found = home.resolve("baseten")
    assert (found["key"], found["source"]) == (None, None)


def test_trussrc_section_per_remote(home: Home) -> None:
    home.install_trussrc("two-remotes.trussrc")
    assert home.resolve("baseten")["key"] == "trussfixture.prodBASETEN0002"
    dev = home.resolve("dev")
    assert dev["key"] == "trussfixture.devBASETEN0003"
    assert dev["location"] == f"{home.home / '.trussrc'} [dev]"
    assert home.resolve("staging")["key"] is None


def test_user_trussrc_path_is_honoured(home: Home) -> None:
    home.install_trussrc("two-remotes.trussrc")  # ~/.trussrc: ignored when overridden
    elsewhere = home.install_trussrc("other-name.trussrc", home.home / "alt" / "rc")
    found = home.resolve("work", {"USER_TRUSSRC_PATH": str(elsewhere)})
    assert found["key"] == "trussfixture.workBASETEN0004"
    assert home.resolve("baseten", {"USER_TRUSSRC_PATH": str(elsewhere)})["key"] is None


def test_newer_truss_keyring_backed_api_key_is_followed(home: Home) -> None:
    home.install_trussrc("keyring-api-key.trussrc")
    blob = '{"auth_type": "api_key", "api_key": "trussfixture.inKEYRING0006"}'
    home.put_keyring_entry("baseten", blob, "baseten-truss")
    found = home.resolve("baseten")
    assert (found["key"], found["source"]) == ("trussfixture.inKEYRING0006", "trussrc")


def test_oauth_trussrc_section_has_no_key(home: Home) -> None:
    home.install_trussrc("oauth.trussrc")
    assert home.resolve("baseten")["key"] is None


def test_malformed_trussrc_becomes_a_note_naming_the_line_not_its_text(
    home: Home,
) -> None:
    home.install_trussrc("malformed.trussrc")
    found = home.resolve("baseten")
    assert found["key"] is None
    notes = " ".join(str(note) for note in found["notes"])  # type: ignore[attr-defined]
    assert "line 3" in notes
    assert "malformedBASETEN0005" not in notes


@pytest.mark.posix_only
def test_plaintext_file_readable_by_others_is_ignored(home: Home) -> None:
    login(home, FILE_KEY, "--store", "file")
    home.plaintext_keys_file.chmod(0o644)
    found = home.resolve("baseten")
    assert found["key"] is None
    assert "accessible by other users" in " ".join(found["notes"])  # type: ignore[arg-type]


def test_failing_keyring_is_skipped_with_a_note(home: Home) -> None:
    found = home.resolve("baseten", {**home.with_refusing_backend(), "BASETEN_API_KEY": ENV_KEY})
    assert (found["key"], found["source"]) == (ENV_KEY, "env")
    assert "KeyringLocked" in " ".join(found["notes"])  # type: ignore[arg-type]


# --- key shape ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ("abc def", "contains whitespace (character 4)"),
        ("abc\tdef", "contains whitespace (character 4)"),
        ("abc\x00def", "contains a control character (character 4)"),
        ("abc\x1bdef", "contains a control character (character 4)"),
        ("abcédef", "contains a non-ASCII character (character 4)"),
        ("k" * 1025, "is longer than 1024 characters"),
    ],
)
def test_malformed_keys_are_rejected_without_quoting_them(raw: str, problem: str) -> None:
    with pytest.raises(BadInput) as caught:
        validate_api_key(raw, "standard input")
    assert caught.value.message == f"the API key from standard input {problem}"
    if raw.strip():
        assert raw.strip() not in caught.value.render()


def test_surrounding_whitespace_is_dropped() -> None:
    assert validate_api_key("  abc.DEF123\r\n", "standard input") == "abc.DEF123"
    assert api_key_problem("abc.DEF123") is None


def test_credentials_module_does_not_import_keyring_until_needed(home: Home) -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sshsetup.connect.credentials, sshsetup.connect.remotes; "
            "print('keyring' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        env=home.env,
        check=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "False"
