"""Credential lookup (keyring, file, env, trussrc), key validation, remotes and API base URLs.

Lookups run in a fresh process of a temporary home whose keyring is a real PlaintextKeyring
file (plugin_keyring); remotes and base URLs read a real settings.json.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from plugin_keyring import KeyringHome

from sshsetup.connect.credentials import api_key_problem, validate_api_key
from sshsetup.connect.remotes import (
    DEFAULT_API_BASE_URL,
    api_base_url,
    cleartext_warning,
    normalize_remote_name,
    remote_for_host,
    validate_base_url,
)
from sshsetup.errors import UserError
from sshsetup.settings import Remote, Settings, save_settings

KEYRING_KEY = "sk-keyring.KEYRINGSOURCE0001"
FILE_KEY = "sk-file.FILESOURCE0002"
ENV_KEY = "sk-env.ENVSOURCE0003"


def login(home: KeyringHome, key: str, *args: str) -> None:
    result = home.run("login", "--api-key-stdin", *args, input_text=key + "\n")
    assert result.returncode == 0, result


# --- lookup order ------------------------------------------------------------------------


def test_lookup_prefers_keyring_then_file_then_env_then_trussrc(keyring_home: KeyringHome) -> None:
    keyring_home.install_trussrc("single-remote.trussrc")
    env = {"BASETEN_API_KEY": ENV_KEY}
    assert keyring_home.resolve("baseten", env)["key"] == ENV_KEY  # env beats trussrc

    login(keyring_home, FILE_KEY, "--store", "file")
    found = keyring_home.resolve("baseten", env)
    assert (found["key"], found["source"]) == (FILE_KEY, "file")

    login(keyring_home, KEYRING_KEY)
    found = keyring_home.resolve("baseten", env)
    assert (found["key"], found["source"]) == (KEYRING_KEY, "keyring")
    assert found["location"] == "keyrings.alt.file.PlaintextKeyring"


def test_keyring_is_found_from_the_connect_paths_isolated_python(
    keyring_home: KeyringHome,
) -> None:
    login(keyring_home, KEYRING_KEY)
    found = keyring_home.resolve("baseten", connect_path_flags=True)
    assert (found["key"], found["source"]) == (KEYRING_KEY, "keyring")


def test_env_key_applies_to_every_remote_without_a_stored_key(keyring_home: KeyringHome) -> None:
    login(keyring_home, KEYRING_KEY, "--remote", "dev")
    env = {"BASETEN_API_KEY": f"  {ENV_KEY}  "}
    assert keyring_home.resolve("dev", env)["key"] == KEYRING_KEY
    other = keyring_home.resolve("staging", env)
    assert (other["key"], other["source"], other["location"]) == (ENV_KEY, "env", "BASETEN_API_KEY")


def test_malformed_env_key_is_skipped_with_a_note_that_does_not_quote_it(
    keyring_home: KeyringHome,
) -> None:
    keyring_home.install_trussrc("single-remote.trussrc")
    found = keyring_home.resolve("baseten", {"BASETEN_API_KEY": "two words"})
    assert found["source"] == "trussrc"
    assert found["key"] == "trussfixture.singleBASETEN0001"
    notes = " ".join(str(note) for note in found["notes"])  # type: ignore[attr-defined]
    assert "BASETEN_API_KEY" in notes and "whitespace" in notes
    assert "two words" not in notes


def test_nothing_found_gives_none(keyring_home: KeyringHome) -> None:
    found = keyring_home.resolve("baseten")
    assert (found["key"], found["source"]) == (None, None)


def test_trussrc_section_per_remote(keyring_home: KeyringHome) -> None:
    keyring_home.install_trussrc("two-remotes.trussrc")
    assert keyring_home.resolve("baseten")["key"] == "trussfixture.prodBASETEN0002"
    dev = keyring_home.resolve("dev")
    assert dev["key"] == "trussfixture.devBASETEN0003"
    assert dev["location"] == f"{keyring_home.home / '.trussrc'} [dev]"
    assert keyring_home.resolve("staging")["key"] is None


def test_user_trussrc_path_is_honoured(keyring_home: KeyringHome) -> None:
    keyring_home.install_trussrc("two-remotes.trussrc")  # ~/.trussrc: ignored when overridden
    elsewhere = keyring_home.install_trussrc("other-name.trussrc", keyring_home.home / "alt" / "rc")
    found = keyring_home.resolve("work", {"USER_TRUSSRC_PATH": str(elsewhere)})
    assert found["key"] == "trussfixture.workBASETEN0004"
    assert keyring_home.resolve("baseten", {"USER_TRUSSRC_PATH": str(elsewhere)})["key"] is None


def test_newer_truss_keyring_backed_api_key_is_followed(keyring_home: KeyringHome) -> None:
    keyring_home.install_trussrc("keyring-api-key.trussrc")
    blob = '{"auth_type": "api_key", "api_key": "trussfixture.inKEYRING0006"}'
    keyring_home.put_keyring_entry("baseten", blob, "baseten-truss")
    found = keyring_home.resolve("baseten")
    assert (found["key"], found["source"]) == ("trussfixture.inKEYRING0006", "trussrc")


def test_oauth_trussrc_section_has_no_key(keyring_home: KeyringHome) -> None:
    keyring_home.install_trussrc("oauth.trussrc")
    assert keyring_home.resolve("baseten")["key"] is None


def test_malformed_trussrc_becomes_a_note_naming_the_line_not_its_text(
    keyring_home: KeyringHome,
) -> None:
    keyring_home.install_trussrc("malformed.trussrc")
    found = keyring_home.resolve("baseten")
    assert found["key"] is None
    notes = " ".join(str(note) for note in found["notes"])  # type: ignore[attr-defined]
    assert "line 3" in notes
    assert "malformedBASETEN0005" not in notes


@pytest.mark.posix_only
def test_plaintext_file_readable_by_others_is_ignored(keyring_home: KeyringHome) -> None:
    login(keyring_home, FILE_KEY, "--store", "file")
    keyring_home.plaintext_keys_file.chmod(0o644)
    found = keyring_home.resolve("baseten")
    assert found["key"] is None
    assert "accessible by other users" in " ".join(found["notes"])  # type: ignore[arg-type]


def test_failing_keyring_is_skipped_with_a_note(keyring_home: KeyringHome) -> None:
    found = keyring_home.resolve(
        "baseten", {**keyring_home.with_refusing_backend(), "BASETEN_API_KEY": ENV_KEY}
    )
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
    with pytest.raises(UserError) as caught:
        validate_api_key(raw, "standard input")
    assert caught.value.message == f"the API key from standard input {problem}"
    if raw.strip():
        assert raw.strip() not in caught.value.render()


def test_surrounding_whitespace_is_dropped() -> None:
    assert validate_api_key("  abc.DEF123\r\n", "standard input") == "abc.DEF123"
    assert api_key_problem("abc.DEF123") is None


# --- remotes and API base URLs -----------------------------------------------------------


def test_api_base_url_precedence(keyring_home: KeyringHome) -> None:
    paths = keyring_home.paths
    save_settings(
        paths.settings_file, Settings(remotes={"dev": Remote(base_url="https://dev.example/")})
    )
    env = {"BASETEN_BASE_URL": "http://127.0.0.1:8123/"}
    # 1. api_prefix from the host name wins over everything
    assert api_base_url("dev", "mc-dev", paths, env) == "https://api.mc-dev.baseten.co"
    # 2. then the remote's configured base_url
    assert api_base_url("dev", None, paths, env) == "https://dev.example"
    # 3. then BASETEN_BASE_URL
    assert api_base_url("baseten", None, paths, env) == "http://127.0.0.1:8123"
    # 4. then Baseten's API
    assert (
        api_base_url("baseten", None, paths, {}) == DEFAULT_API_BASE_URL == "https://api.baseten.co"
    )


def test_api_prefix_with_dots_and_bad_prefix(keyring_home: KeyringHome) -> None:
    paths = keyring_home.paths
    assert api_base_url("x", "a.b-c", paths, {}) == "https://api.a.b-c.baseten.co"
    with pytest.raises(UserError, match="invalid api prefix"):
        api_base_url("x", "evil/path", paths, {})


def test_remote_for_host_uses_the_hosts_remote_else_the_default(keyring_home: KeyringHome) -> None:
    paths = keyring_home.paths
    assert remote_for_host(None, paths, {}) == "baseten"
    save_settings(paths.settings_file, Settings(default_remote="staging"))
    assert remote_for_host(None, paths, {}) == "staging"
    assert remote_for_host("Dev", paths, {}) == "dev"


@pytest.mark.parametrize("name", ["", "-dev", "dev.x", "a b", "dev;rm", "x" * 64])
def test_invalid_remote_names(name: str) -> None:
    with pytest.raises(UserError, match="invalid remote name"):
        normalize_remote_name(name)


@pytest.mark.parametrize(
    "url",
    [
        "api.baseten.co",
        "ftp://api.baseten.co",
        "https://",
        "https://u:p@api.example",
        "https://a?x=1",
    ],
)
def test_invalid_base_urls(url: str) -> None:
    with pytest.raises(UserError):
        validate_base_url(url)


def test_cleartext_warning_only_off_loopback() -> None:
    assert cleartext_warning("http://127.0.0.1:8000") is None
    assert cleartext_warning("http://localhost:8000") is None
    assert cleartext_warning("https://api.example") is None
    warning = cleartext_warning("http://api.example")
    assert warning is not None and "unencrypted" in warning


def test_credentials_module_does_not_import_keyring_until_needed(keyring_home: KeyringHome) -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sshsetup.connect.credentials, sshsetup.connect.remotes; "
            "print('keyring' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        env=keyring_home.env,
        check=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "False"
