"""`sshsetup login / logout / remote` in-process, with a real file-backed keyring.

Every command path that handles a key has its stdout and stderr checked for the
recognisable key (``assert_no_key``); ``test_no_command_path_ever_shows_the_key`` covers
the paths the other tests do not.
"""

from __future__ import annotations

import json
import stat

import pytest
from helpers.cli import CliResult, run_process
from helpers.homes import Home
from helpers.keyrings import REFUSING_BACKEND

from sshsetup.connect.credentials import KEYRING_AS_RECORDED

KEY = "sk-test.RECOGNISABLE0KEY0VALUE0001"
DEV_KEY = "sk-test.DEVREMOTE0KEY0VALUE0002"
NOT_AN_OS_KEYRING_HINTS = ("PYTHON_KEYRING_BACKEND", "--store file", "Secret Service")


def login(home: Home, key: str, *args: str) -> CliResult:
    return home.run("login", "--api-key-stdin", *args, input_text=key + "\n")


def assert_no_key(result: CliResult, *keys: str) -> None:
    for key in keys:
        assert key not in result.stdout and key not in result.stderr, result


# --- login ------------------------------------------------------------------------------


def test_login_from_stdin_stores_the_key_in_the_keyring(home: Home) -> None:
    result = login(home, KEY, "--json")
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    assert report["remote"] == "baseten"
    assert report["stored_in"] == "keyring"
    assert report["keyring_backend"] == "keyrings.alt.file.PlaintextKeyring"
    assert report["is_default"] is True
    assert report["api_base_url"] == "https://api.baseten.co"
    assert home.keyring_entry("baseten") == KEY
    assert not home.plaintext_keys_file.exists()
    assert_no_key(result, KEY)


def test_login_again_replaces_the_key(home: Home) -> None:
    assert login(home, KEY).returncode == 0
    assert login(home, DEV_KEY).returncode == 0
    assert home.keyring_entry("baseten") == DEV_KEY


def test_several_remotes_with_their_own_keys_and_urls(home: Home) -> None:
    assert login(home, KEY).returncode == 0
    result = login(home, DEV_KEY, "--remote", "Dev", "--base-url", "https://api.dev.example/")
    assert result.returncode == 0, result
    assert "default remote 'baseten'" in result.stderr  # says dev is not the default
    assert home.keyring_entry("baseten") == KEY
    assert home.keyring_entry("dev") == DEV_KEY
    settings = home.settings_json
    assert settings["default_remote"] == "baseten"
    assert settings["remotes"] == {
        "baseten": {"base_url": None, "allowed_proxy_hosts": [], "api_key_in_keyring": True},
        "dev": {
            "base_url": "https://api.dev.example",
            "allowed_proxy_hosts": [],
            "api_key_in_keyring": True,
        },
    }
    listed = home.run("remote", "list", "--json")
    assert listed.returncode == 0, listed
    rows = {row["name"]: row for row in json.loads(listed.stdout)["remotes"]}
    assert rows["baseten"]["default"] and not rows["dev"]["default"]
    assert rows["dev"]["api_base_url"] == "https://api.dev.example"
    assert rows["baseten"]["api_base_url"] == "https://api.baseten.co"
    assert {row["api_key"]["source"] for row in rows.values()} == {"keyring"}
    assert_no_key(listed, KEY, DEV_KEY)


def test_login_default_makes_the_remote_the_default(home: Home) -> None:
    result = login(home, DEV_KEY, "--remote", "dev", "--default", "--json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["default_remote"] == "dev"
    assert home.settings_json["default_remote"] == "dev"
    # a plain login now stores for dev
    assert login(home, KEY).returncode == 0
    assert home.keyring_entry("dev") == KEY
    assert home.keyring_entry("baseten") is None


def test_base_url_env_applies_to_remotes_without_their_own(home: Home) -> None:
    assert login(home, KEY).returncode == 0
    assert (
        login(home, DEV_KEY, "--remote", "dev", "--base-url", "https://d.example").returncode == 0
    )
    listed = home.run_with(
        {"BASETEN_BASE_URL": "http://127.0.0.1:9999"}, "remote", "list", "--json"
    )
    rows = {row["name"]: row for row in json.loads(listed.stdout)["remotes"]}
    assert rows["baseten"]["api_base_url"] == "http://127.0.0.1:9999"
    assert rows["dev"]["api_base_url"] == "https://d.example"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "is empty"),
        ("sk-test.HALF ONE", "contains whitespace"),
        ("sk-test.\x07BELL", "contains a control character"),
    ],
)
def test_login_rejects_malformed_keys_and_stores_nothing(
    home: Home, typed: str, problem: str
) -> None:
    result = home.run("login", "--api-key-stdin", input_text=typed + "\n")
    assert result.returncode == 3, result
    assert f"error: the API key from standard input {problem}" in result.stderr
    assert "Traceback" not in result.stderr
    assert home.keyring_entry("baseten") is None
    assert not (home.settings_dir / "settings.json").exists()
    assert_no_key(result, *typed.split())


def test_login_without_a_terminal_or_stdin_flag_says_how(home: Home) -> None:
    result = home.run("login", input_text=KEY + "\n")
    assert result.returncode == 3, result
    assert "standard input is not a terminal" in result.stderr
    assert "--api-key-stdin" in result.stderr
    assert home.keyring_entry("baseten") is None


def test_login_rejects_conflicting_sources_and_bad_arguments(home: Home) -> None:
    both = home.run("login", "--api-key-stdin", "--from-trussrc", input_text=KEY)
    assert both.returncode == 2 and "give one of them" in both.stderr
    bad_remote = login(home, KEY, "--remote", "dev;rm -rf")
    assert bad_remote.returncode == 3 and "invalid remote name" in bad_remote.stderr
    bad_url = login(home, KEY, "--base-url", "api.example.com")
    assert bad_url.returncode == 3 and "invalid API base URL" in bad_url.stderr
    assert home.keyring_entry("baseten") is None


def test_plain_http_base_url_off_loopback_is_warned_about(home: Home) -> None:
    result = login(home, KEY, "--base-url", "http://api.example.com")
    assert result.returncode == 0, result
    assert "plain http" in result.stderr
    quiet = login(home, KEY, "--remote", "local", "--base-url", "http://127.0.0.1:8080")
    assert "plain http" not in quiet.stderr


# --- --from-trussrc ----------------------------------------------------------------------


def test_import_from_trussrc(home: Home) -> None:
    home.install_trussrc("two-remotes.trussrc")
    result = home.run("login", "--from-trussrc", "--json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["key_from"] == "trussrc"
    assert home.keyring_entry("baseten") == "trussfixture.prodBASETEN0002"
    dev = home.run("login", "--from-trussrc", "--remote", "dev")
    assert dev.returncode == 0, dev
    assert home.keyring_entry("dev") == "trussfixture.devBASETEN0003"
    assert_no_key(result, "trussfixture.prodBASETEN0002")
    assert_no_key(dev, "trussfixture.devBASETEN0003")


def test_import_from_user_trussrc_path_and_its_only_section(home: Home) -> None:
    rc = home.install_trussrc("other-name.trussrc", home.home / "cfg" / "truss.ini")
    result = home.run_with({"USER_TRUSSRC_PATH": str(rc)}, "login", "--from-trussrc")
    assert result.returncode == 0, result
    assert "importing section [work]" in result.stderr
    assert home.keyring_entry("baseten") == "trussfixture.workBASETEN0004"
    # naming a remote that is not there is an error, not a guess
    named = home.run_with(
        {"USER_TRUSSRC_PATH": str(rc)}, "login", "--from-trussrc", "--remote", "dev"
    )
    assert named.returncode == 6, named
    assert "has no section [dev] (sections: work)" in named.stderr


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("oauth.trussrc", "signs in with OAuth and holds no API key"),
        ("missing-api-key.trussrc", "section [baseten] has no api_key"),
        ("malformed.trussrc", "line 3: not a valid INI file"),
    ],
)
def test_import_from_unusable_trussrc(home: Home, fixture: str, message: str) -> None:
    home.install_trussrc(fixture)
    result = home.run("login", "--from-trussrc")
    assert result.returncode != 0
    assert message in result.stderr, result
    assert "Traceback" not in result.stderr
    assert_no_key(result, "malformedBASETEN0005")
    assert home.keyring_entry("baseten") is None


def test_import_without_trussrc(home: Home) -> None:
    result = home.run("login", "--from-trussrc")
    assert result.returncode == 6, result
    assert ".trussrc does not exist" in result.stderr


def test_trussrc_is_never_modified(home: Home) -> None:
    rc = home.install_trussrc("two-remotes.trussrc")
    before = rc.read_bytes()
    assert home.run("login", "--from-trussrc").returncode == 0
    assert home.run("logout", "--all").returncode == 0
    assert rc.read_bytes() == before


# --- logout ------------------------------------------------------------------------------


def test_logout_removes_the_key_and_twice_is_fine(home: Home) -> None:
    assert login(home, KEY).returncode == 0
    assert login(home, DEV_KEY, "--remote", "dev").returncode == 0
    result = home.run("logout", "--json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["removed"] == {"baseten": ["keyring"]}
    assert home.keyring_entry("baseten") is None
    assert home.keyring_entry("dev") == DEV_KEY
    again = home.run("logout")
    assert again.returncode == 0 and "No stored API key for remote 'baseten'" in again.stdout


def test_logout_all_clears_keyring_and_file_and_names_what_remains(
    home: Home,
) -> None:
    assert login(home, KEY).returncode == 0
    assert login(home, DEV_KEY, "--remote", "dev", "--store", "file").returncode == 0
    home.install_trussrc("two-remotes.trussrc")
    result = home.run("logout", "--all", "--json")
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    assert report["removed"] == {"baseten": ["keyring"], "dev": ["file"]}
    assert report["still_available"]["dev"]["source"] == "trussrc"
    assert "still has an API key from trussrc" in result.stderr
    assert home.keyring_entry("baseten") is None
    assert not home.plaintext_keys_file.exists()
    assert_no_key(result, KEY, DEV_KEY, "trussfixture.devBASETEN0003")


def test_logout_remote_and_all_conflict(home: Home) -> None:
    result = home.run("logout", "--remote", "dev", "--all")
    assert result.returncode == 2 and "give one of them" in result.stderr


# --- no keyring backend, the plaintext fallback -------------------------------------------


@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_no_backend_fails_before_asking_and_says_how_to_fix(home: Home, backend: str) -> None:
    result = home.run_with(
        {"PYTHON_KEYRING_BACKEND": backend}, "login", "--api-key-stdin", input_text=KEY + "\n"
    )
    assert result.returncode == 3, result
    assert "no working keyring backend" in result.stderr
    for hint in NOT_AN_OS_KEYRING_HINTS:
        assert hint in result.stderr
    assert not home.keyring_file.exists()
    assert not home.plaintext_keys_file.exists()
    assert_no_key(result, KEY)


def test_unloadable_backend_name_is_reported(home: Home) -> None:
    result = home.run_with(
        {"PYTHON_KEYRING_BACKEND": "no_such_module.Keyring"},
        "login",
        "--api-key-stdin",
        input_text=KEY,
    )
    assert result.returncode == 3, result
    assert "no_such_module.Keyring cannot be loaded" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.linux_only
def test_auto_detected_non_os_keyring_is_not_used_silently(home: Home) -> None:
    # No PYTHON_KEYRING_BACKEND, no keyringrc.cfg, no D-Bus session: keyring falls back to a
    # file backend (keyrings.alt) or to none; sshsetup must not write the key there unasked.
    result = home.run_with(
        {"PYTHON_KEYRING_BACKEND": None}, "login", "--api-key-stdin", input_text=KEY + "\n"
    )
    assert result.returncode == 3, result
    for hint in NOT_AN_OS_KEYRING_HINTS:
        assert hint in result.stderr
    assert not home.keyring_file.exists()
    assert not (home.home / ".local" / "share" / "python_keyring").exists()


def test_backend_that_raises_gives_a_clean_error_without_the_key(home: Home) -> None:
    changes = home.with_refusing_backend()
    result = home.run_with(changes, "login", "--api-key-stdin", input_text=KEY + "\n")
    assert result.returncode == 3, result
    assert f"cannot store the API key in the keyring ({REFUSING_BACKEND})" in result.stderr
    assert "KeyringLocked" in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_key(result, KEY)
    logout = home.run_with(changes, "logout")
    assert logout.returncode == 3 and "KeyringLocked" in logout.stderr


def test_file_fallback_is_0600_in_a_0700_dir_with_a_loud_warning(home: Home) -> None:
    result = home.run_with(
        {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        "login",
        "--api-key-stdin",
        "--store",
        "file",
        "--json",
        input_text=KEY + "\n",
    )
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["stored_in"] == "file"
    assert "WARNING" in result.stderr and "UNENCRYPTED" in result.stderr
    assert str(home.plaintext_keys_file) in result.stderr
    stored = json.loads(home.plaintext_keys_file.read_text())
    assert stored == {"version": 1, "api_keys": {"baseten": KEY}}
    assert_no_key(result, KEY)


@pytest.mark.posix_only
def test_file_fallback_modes_and_tightening(home: Home) -> None:
    home.settings_dir.mkdir(parents=True, mode=0o755)
    home.settings_dir.chmod(0o755)
    assert login(home, KEY, "--store", "file").returncode == 0
    path = home.plaintext_keys_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)  # loosened by someone else: the next write tightens it again
    assert login(home, DEV_KEY, "--remote", "dev", "--store", "file").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- remote subcommands -------------------------------------------------------------------


def test_remote_set_default_and_set_url(home: Home) -> None:
    unknown = home.run("remote", "set-default", "Staging", "--json")
    assert unknown.returncode == 3, unknown
    assert json.loads(unknown.stdout)["error"]["message"].startswith("remote 'staging' is unknown")
    assert "sshsetup login --remote staging" in unknown.stderr
    assert not home.paths.settings_file.exists()
    set_url = home.run("remote", "set-url", "staging", "https://api.staging.example/", "--json")
    assert set_url.returncode == 0, set_url
    assert json.loads(set_url.stdout)["api_base_url"] == "https://api.staging.example"
    result = home.run("remote", "set-default", "Staging")
    assert result.returncode == 0, result
    assert "no API key found for remote 'staging'" in result.stderr
    assert home.settings_json["default_remote"] == "staging"
    with_key = home.run_with({"BASETEN_API_KEY": KEY}, "remote", "set-default", "elsewhere")
    assert with_key.returncode == 0, with_key  # a credential for it: known enough
    unset = home.run("remote", "set-url", "staging", "--unset", "--json")
    assert json.loads(unset.stdout)["api_base_url"] == "https://api.baseten.co"
    neither = home.run("remote", "set-url", "staging")
    assert neither.returncode == 2 and "either a URL or --unset" in neither.stderr
    bad = home.run("remote", "set-url", "staging", "nonsense")
    assert bad.returncode == 3 and "invalid API base URL" in bad.stderr


# --- the key never shows -----------------------------------------------------------------


def test_no_command_path_ever_shows_the_key(home: Home) -> None:
    """The paths no other test here already checks with assert_no_key."""
    refusing = home.with_refusing_backend()
    env_key = {"BASETEN_API_KEY": KEY}
    assert login(home, KEY, "--remote", "dev", "--default").returncode == 0
    runs = [
        login(home, KEY + "é"),
        home.run("login", input_text=KEY),
        home.run_with(env_key, "remote", "list"),
        home.run_with(env_key, "remote", "list", "--json"),
        home.run_with(refusing, "remote", "list", "--json"),
        home.run_with(refusing, "logout"),
        home.run_with(env_key, "logout", "--all", "--json"),
    ]
    for result in runs:
        assert_no_key(result, KEY)
        assert "Traceback" not in result.stderr, result


def imported_modules(result: CliResult) -> set[str]:
    """The modules a process run with PYTHONPROFILEIMPORTTIME=1 imported."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_status_and_remote_list_say_keyring_from_logins_record_without_opening_it(
    home: Home,
) -> None:
    """Opening the keyring costs more than the rest of status (its import and backend
    discovery): status and remote list answer from what login recorded; logout clears it."""
    assert login(home, KEY).returncode == 0
    traced = run_process(home.env_with({"PYTHONPROFILEIMPORTTIME": "1"}), "status", "--json")

    assert traced.returncode == 0, traced
    credential = json.loads(traced.stdout)["credential"]
    assert (credential["source"], credential["location"]) == ("keyring", KEYRING_AS_RECORDED)
    assert "sshsetup.connect.settings" in imported_modules(traced)  # the trace works
    assert not {m for m in imported_modules(traced) if m.split(".")[0] == "keyring"}
    listed = json.loads(home.run("remote", "list", "--json").stdout)["remotes"]
    assert listed[0]["api_key"]["location"] == KEYRING_AS_RECORDED

    assert home.run("logout").returncode == 0
    assert home.settings_json["remotes"] == {
        "baseten": {"base_url": None, "allowed_proxy_hosts": [], "api_key_in_keyring": False}
    }
    after = json.loads(home.run("status", "--json").stdout)["credential"]
    assert after["source"] is None
    assert "keyring: not opened (`sshsetup login` stored no key there)" in after["notes"]
    with_env = json.loads(home.run_with({"BASETEN_API_KEY": KEY}, "status", "--json").stdout)
    assert with_env["credential"]["source"] == "env"
