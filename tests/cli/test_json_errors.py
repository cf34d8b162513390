"""Every command, failing with --json, prints one JSON object on stdout (the message, hint
and exit code, as sshsetup.results.render_error writes it) and the prose on stderr; so does
a usage error click finds before the command runs."""

from __future__ import annotations

import json

import pytest
from helpers.homes import Home

from sshsetup.exit_codes import ExitCode

pytestmark = pytest.mark.posix_only

# Each command, with arguments it refuses (HOME is the test home: {home}).
FAILING = [
    ("setup", "--config", "{home}/missing/config"),
    ("remove", "--config", "{home}/a-directory"),
    ("status", "--config", "{home}/a-directory"),
    ("login",),  # standard input is not a terminal, and no --api-key-stdin
    ("logout", "--remote", "not a name"),
    ("remote", "list"),  # the settings file is not JSON
    ("remote", "set-default", "nowhere"),
    ("remote", "set-url", "staging", "nonsense"),
    ("remote", "allow-proxy", "not a name", "proxy.example"),
    ("cert", "fetch", "not-a-host"),
    ("cert", "refresh", "not-a-host"),
    ("cert", "status"),  # the settings file is not JSON
    ("cert", "prune"),  # the settings file is not JSON
    ("session", "not a job!"),
    ("agent", "check"),  # no --config: the settings are read for a remembered one
    ("agent", "add", "{home}/no-such-key"),
    ("doctor", "training-job-x-0.ssh.baseten.co;true"),
    ("doctor", "--connect"),
    ("sandbox", "--home", "{home}"),
    # click's own usage errors, before any command runs
    ("doctor", "--no-such-option"),
    ("remote", "set-url"),
]


@pytest.mark.parametrize("args", FAILING, ids=lambda args: " ".join(args[:2]))
def test_a_failing_command_with_json_prints_one_object(home: Home, args: tuple[str, ...]) -> None:
    (home.home / "a-directory").mkdir()
    home.settings_dir.mkdir(mode=0o700)
    (home.settings_dir / "settings.json").write_text("{not json")
    argv = [arg.format(home=home.home) for arg in args]

    # Without SSHSETUP_SSH_CONFIG the settings are read for a remembered config, first thing.
    unset = {"SSHSETUP_SSH_CONFIG": None} if argv == ["agent", "check"] else {}
    result = home.run_with(unset, *argv, "--json")

    assert result.returncode not in (0, int(ExitCode.INTERNAL)), result
    decoder = json.JSONDecoder()
    document, end = decoder.raw_decode(result.stdout)
    assert result.stdout[end:].strip() == "", result
    assert set(document) == {"ok", "error"} and document["ok"] is False
    assert set(document["error"]) == {"message", "hint", "exit_code"}
    assert document["error"]["exit_code"] == result.returncode
    assert result.stderr.startswith(f"error: {document['error']['message']}")
    assert "Traceback" not in result.stderr
