"""One test per trap in fixtures/configs/ (see its README): `sshsetup setup` run in-process on a
copy of the fixture, checked with the real `ssh -G`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.cli import CliResult
from helpers.configs import FIXTURE_CONFIGS, block_span, block_start_line, cut_block
from helpers.homes import Home

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.exit_codes import ExitCode

pytestmark = pytest.mark.posix_only

TRAINING_HOST, MODEL_HOST, ENVIRONMENT_HOST = EXAMPLE_HOSTS
OTHER_HOSTS = ("build", "example.org", "other.ssh.baseten.co")
IGNORED_IN_COMPARISON = frozenset({"ignoreunknown"})


@dataclass
class FixtureRun:
    home: Home
    original: bytes
    result: CliResult

    @property
    def data(self) -> bytes:
        return self.home.config.read_bytes()

    @property
    def original_copy(self) -> Path:
        return self.home.home / "original.conf"

    def assert_ok(self) -> None:
        assert self.result.returncode == 0, str(self.result)
        assert "Traceback" not in self.result.stderr

    def assert_block_at(self, line: int) -> None:
        assert block_start_line(self.data) == line

    def assert_outside_untouched(self) -> None:
        assert cut_block(self.data) == self.original

    def assert_block_effective(self, forward_agent: bool = False) -> None:
        for host, user in (
            (TRAINING_HOST, "baseten"),
            (MODEL_HOST, "app"),
            (ENVIRONMENT_HOST, "app"),
        ):
            effective = self.home.ssh_g(host)
            assert effective.returncode == 0, effective.stderr
            assert effective.value("user") == user
            assert effective.value("identitiesonly") == "yes"
            assert "proxy.py" in effective.value("proxycommand")
            assert effective.value("forwardagent") == ("yes" if forward_agent else "no")
            assert effective.settings["identityfile"][0] == str(self.home.key_dir / "id_ed25519")

    def assert_other_hosts_unchanged(self, hosts: tuple[str, ...] = OTHER_HOSTS) -> None:
        for host in hosts:
            before = self.home.ssh_g(host, self.original_copy)
            after = self.home.ssh_g(host)
            assert after.returncode == before.returncode == 0, after.stderr
            for keyword in IGNORED_IN_COMPARISON:
                before.settings.pop(keyword, None)
                after.settings.pop(keyword, None)
            assert after.settings == before.settings, host

    def assert_untouched(self, mtime_ns: int) -> None:
        assert self.data == self.original
        assert self.home.config.stat().st_mtime_ns == mtime_ns
        assert "Traceback" not in self.result.stderr


def run_fixture(
    home: Home, name: str, *args: str, extra_files: dict[str, str] | None = None
) -> FixtureRun:
    for relative, text in (extra_files or {}).items():
        (home.ssh_dir / relative).write_text(text)
    original = home.install_fixture(name)
    (home.home / "original.conf").write_bytes(original)
    return FixtureRun(home, original, home.run("setup", "--yes", *args))


def run_rejected(home: Home, name: str, *args: str) -> tuple[FixtureRun, int]:
    original = home.install_fixture(name)
    mtime = home.config.stat().st_mtime_ns
    return FixtureRun(home, original, home.run("setup", "--yes", *args)), mtime


def test_all_fixtures_documented_and_at_least_25() -> None:
    names = sorted(path.name for path in FIXTURE_CONFIGS.glob("*.conf"))
    readme = (FIXTURE_CONFIGS / "README.md").read_text()
    assert len(names) >= 25
    assert [name for name in names if f"`{name}`" not in readme] == []


def test_host_star_before_block_goes_above_it(home: Home) -> None:
    run = run_fixture(home, "host-star-before.conf", "--forward-agent")
    run.assert_ok()
    run.assert_block_at(1)
    run.assert_outside_untouched()
    run.assert_block_effective(forward_agent=True)
    run.assert_other_hosts_unchanged()
    assert home.ssh_g("build").value("user") == "me"


def test_global_user_line_stays_global_below_block(home: Home) -> None:
    run = run_fixture(home, "global-user-top.conf")
    run.assert_ok()
    run.assert_block_at(1)
    run.assert_outside_untouched()
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()
    # The block's terminator keeps the user's global lines global
    # (docs/ssh-config.md#section-scope-and-the-match-all-terminator); for Baseten hosts the
    # block's own keepalive comes first and wins.
    assert home.ssh_g("example.org").value("serveraliveinterval") == "30"
    assert home.ssh_g("example.org").value("user") == "me"
    assert home.ssh_g(TRAINING_HOST).value("serveraliveinterval") == "15"


def test_global_include_block_goes_above_it(home: Home) -> None:
    run = run_fixture(
        home,
        "global-include-top.conf",
        extra_files={"global-include.conf": "User included\n"},
    )
    run.assert_ok()
    run.assert_block_at(1)
    run.assert_outside_untouched()
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()
    assert home.ssh_g("build").value("user") == "included"


def test_include_inside_non_matching_host_stays_in_its_section(home: Home) -> None:
    run = run_fixture(
        home,
        "include-in-nonmatching-host.conf",
        extra_files={"build-include.conf": "User builder\nPort 2222\n"},
    )
    run.assert_ok()
    run.assert_block_at(5)  # above `Host *`, below the Host build section and its Include
    run.assert_outside_untouched()
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()
    assert home.ssh_g("build").value("port") == "2222"
    assert home.ssh_g(TRAINING_HOST).value("port") == "22"


def test_match_exec_of_another_tool_block_goes_above_it(home: Home) -> None:
    run = run_fixture(home, "match-exec-other-tool.conf")
    run.assert_ok()
    run.assert_block_at(4)
    run.assert_outside_untouched()
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()


CLIENT_MARKERS = (
    (b"# --- baseten-ssh ---", b"# --- end baseten-ssh ---"),
    (b"# --- baseten-cli-ssh ---", b"# --- end baseten-cli-ssh ---"),
)


def without_client_blocks(data: bytes) -> bytes:
    """``data`` without the lines of truss's and the Go CLI's blocks, markers included."""
    kept, inside = [], None
    for line in data.splitlines(keepends=True):
        stripped = line.strip()
        if inside is None:
            inside = next((end for start, end in CLIENT_MARKERS if stripped == start), None)
            if inside is None:
                kept.append(line)
        elif stripped == inside:
            inside = None
    return b"".join(kept)


@pytest.mark.parametrize(
    "name",
    [
        "truss-block.conf",
        "baseten-cli-block.conf",
        "baseten-cli-block-crlf.conf",
        "baseten-cli-block-no-final-newline.conf",
        "both-client-blocks.conf",
    ],
)
def test_other_clients_blocks_refused_without_consent_file_untouched(home: Home, name: str) -> None:
    run, mtime = run_rejected(home, name)

    assert run.result.returncode == ExitCode.CONFLICT, str(run.result)
    assert "--migrate" in run.result.stderr and "was left unchanged" in run.result.stderr
    run.assert_untouched(mtime)


def test_status_says_which_client_block_serves_which_hosts(home: Home) -> None:
    home.install_fixture("both-client-blocks.conf")

    status = json.loads(home.run("status", "--json").stdout)

    truss, cli = status["other_blocks"]
    assert (truss["client"], truss["first_line"], truss["last_line"]) == ("truss ssh setup", 7, 23)
    assert truss["serves"] == ["training-job-*.ssh.baseten.co", "model-*.ssh.baseten.co"]
    assert (cli["client"], cli["first_line"], cli["last_line"]) == ("baseten ssh setup", 25, 50)
    assert cli["serves"] == ["*.model-*.ssh.baseten.co"]  # truss's block comes first for the rest
    assert status["installed"] is False


@pytest.mark.parametrize(
    ("name", "block_line", "eol"),
    [
        ("baseten-cli-block.conf", 5, b"\n"),  # above the comment and `Host *` it sits after
        ("baseten-cli-block-crlf.conf", 5, b"\r\n"),
        ("baseten-cli-block-no-final-newline.conf", 1, b"\n"),  # where the Go CLI's block was
        ("both-client-blocks.conf", 1, b"\n"),  # above `Host *`, which would shadow it
    ],
)
def test_migrate_takes_out_the_clients_blocks_and_ssh_uses_sshsetup_s(
    home: Home, name: str, block_line: int, eol: bytes
) -> None:
    run = run_fixture(home, name, "--migrate")

    run.assert_ok()
    run.assert_block_at(block_line)
    assert b"baseten-ssh ---" not in run.data and b"baseten-cli-ssh ---" not in run.data
    assert cut_block(run.data) == without_client_blocks(run.original)
    if eol == b"\r\n":
        assert run.data.count(b"\n") == run.data.count(b"\r\n")
    assert run.data.endswith(b"\n") == run.original.endswith(b"\n")
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()
    assert "taking out the block written by `baseten ssh setup`" in run.result.stderr
    assert "sshsetup remove" in run.result.stderr  # how to go back to the Go CLI
    migrated = json.loads(home.run("setup", "--json").stdout)
    assert migrated["migrated"] == [] and migrated["changed"] is False


def test_migrate_reports_the_blocks_it_took_out(home: Home) -> None:
    home.install_fixture("both-client-blocks.conf")

    result = json.loads(home.run("setup", "--yes", "--migrate", "--json").stdout)

    assert result["migrated"] == [
        {"client": "truss ssh setup", "first_line": 7, "last_line": 23},
        {"client": "baseten ssh setup", "first_line": 25, "last_line": 50},
    ]
    assert home.ssh_g("build").value("user") == "me"  # `Host *` comes first, as before
    assert home.ssh_g(ENVIRONMENT_HOST).value("user") == "app"


def test_truss_block_replaced_with_consent(home: Home) -> None:
    run = run_fixture(home, "truss-block.conf", "--replace-truss")
    run.assert_ok()
    run.assert_block_at(1)
    assert cut_block(run.data) == b""
    run.assert_block_effective()
    assert b"baseten-ssh" not in run.data


def test_truss_block_replaced_user_hosts_after_it_kept(home: Home) -> None:
    run = run_fixture(home, "truss-block-then-user-hosts.conf", "--replace-truss")
    run.assert_ok()
    run.assert_block_at(1)
    truss_end = run.original.index(b"# --- end baseten-ssh ---\n") + len(
        b"# --- end baseten-ssh ---\n"
    )
    assert cut_block(run.data) == run.original[truss_end:]
    run.assert_block_effective()
    assert home.ssh_g("build").value("user") == "builder"
    assert home.ssh_g("example.org").value("serveraliveinterval") == "30"


def test_existing_block_replaced_in_place(home: Home) -> None:
    run = run_fixture(home, "block-present-stale.conf")
    run.assert_ok()
    run.assert_block_at(5)  # where the stale block stood, not above `Host *` nor at the top
    assert cut_block(run.data) == cut_block(run.original)
    assert b"stale-user" not in run.data
    run.assert_block_effective()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("orphan-start-marker.conf", "line 3: sshsetup start marker without its end marker"),
        ("orphan-end-marker.conf", "line 4: sshsetup end marker without its start marker"),
        ("two-blocks.conf", "more than one sshsetup block"),
        ("end-before-start.conf", "line 1: sshsetup end marker before its start marker (line 4)"),
    ],
)
def test_broken_markers_rejected_file_untouched(home: Home, name: str, message: str) -> None:
    run, mtime = run_rejected(home, name)
    assert run.result.returncode == ExitCode.BAD_INPUT, str(run.result)
    assert f"error: {home.config}" in run.result.stderr
    assert message in run.result.stderr
    assert "hint:" in run.result.stderr
    run.assert_untouched(mtime)
    removed = home.run("remove")
    assert removed.returncode == ExitCode.BAD_INPUT and message in removed.stderr
    assert home.config.read_bytes() == run.original


def test_crlf_file_gets_a_crlf_block(home: Home) -> None:
    run = run_fixture(home, "crlf.conf")
    run.assert_ok()
    run.assert_block_at(5)  # above `Host *`
    run.assert_outside_untouched()
    assert run.data.count(b"\n") == run.data.count(b"\r\n")
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()


def test_no_final_newline_kept(home: Home) -> None:
    run = run_fixture(home, "no-final-newline.conf")
    run.assert_ok()
    run.assert_block_at(4)  # nothing can match our hosts: appended at the end
    assert not run.data.endswith(b"\n")
    run.assert_outside_untouched()
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()
    assert home.run("remove").returncode == 0
    assert home.config.read_bytes() == run.original


def test_bom_rejected_without_strip_bom(home: Home) -> None:
    run, mtime = run_rejected(home, "bom.conf")
    # Consent needed and not given (no terminal, no --strip-bom): CONFLICT.
    assert run.result.returncode == ExitCode.CONFLICT, str(run.result)
    assert "line 1: the file starts with a UTF-8 byte-order mark" in run.result.stderr
    assert "--strip-bom" in run.result.stderr
    run.assert_untouched(mtime)


def test_bom_stripped_with_consent_only_those_bytes(home: Home) -> None:
    run = run_fixture(home, "bom.conf", "--strip-bom")
    run.assert_ok()
    assert "byte-order mark" in run.result.stderr
    assert cut_block(run.data) == run.original[3:]
    run.assert_block_effective()


@pytest.mark.parametrize(
    ("name", "block_line"),
    [
        ("key-equals-value.conf", 5),
        ("tabs.conf", 5),
        ("quoted-values.conf", 6),
        ("non-utf8-comment.conf", 5),  # above the comment that heads `Host *`
        ("match-all.conf", 1),
        ("match-canonical.conf", 4),  # `Match canonical host *.example.com` cannot match
    ],
)
def test_syntax_variants_kept_byte_for_byte(home: Home, name: str, block_line: int) -> None:
    run = run_fixture(home, name)
    run.assert_ok()
    run.assert_block_at(block_line)
    run.assert_outside_untouched()
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()


def test_quoted_values_still_parsed_by_ssh(home: Home) -> None:
    run = run_fixture(home, "quoted-values.conf")
    run.assert_ok()
    build = home.ssh_g("build")
    assert build.value("identityfile") == "/opt/my keys/build key"
    assert build.value("proxycommand") == '"/opt/my tools/jump" %h %p'  # taken raw


def test_ignore_unknown_before_is_extended_and_restored(home: Home) -> None:
    run = run_fixture(home, "ignoreunknown-before.conf", "--use-keychain")
    run.assert_ok()
    first_line = run.data.splitlines()[0]
    assert first_line == b"IgnoreUnknown AddressFamilyX,Foo,UseKeychain"
    run.assert_block_effective()
    run.assert_other_hosts_unchanged()
    assert home.ssh_g("build").value("ignoreunknown") == "AddressFamilyX,Foo,UseKeychain"
    removed = home.run("remove")
    assert removed.returncode == 0, str(removed)
    assert home.config.read_bytes() == run.original


def test_ignore_unknown_after_block_every_host_still_parses(home: Home) -> None:
    run = run_fixture(home, "ignoreunknown-after.conf", "--use-keychain")
    run.assert_ok()
    run.assert_outside_untouched()
    run.assert_block_effective()
    assert home.ssh_g(TRAINING_HOST).value("ignoreunknown") == "UseKeychain,Foo"
    # UseKeychain is unknown to non-Apple OpenSSH, even in a section that does not apply.
    run.assert_other_hosts_unchanged()


def test_alias_defined_before_block_gets_block(home: Home) -> None:
    run = run_fixture(home, "alias-before.conf")
    run.assert_ok()
    run.assert_block_at(4)
    run.assert_outside_untouched()
    run.assert_block_effective()
    alias = home.ssh_g("myjob")
    assert alias.value("hostname") == "training-job-abc123-0.ssh.baseten.co"
    assert alias.value("user") == "baseten"
    assert "aliases" not in run.result.stderr and "after the block" not in run.result.stderr


def test_alias_defined_after_block_is_reported(home: Home) -> None:
    run = run_fixture(home, "alias-after.conf")
    run.assert_ok()
    run.assert_block_at(1)
    run.assert_outside_untouched()
    assert (
        "HostName training-job-abc123-0.ssh.baseten.co is set after the block" in run.result.stderr
    )
    # The trap the warning is about: the alias misses the block
    # (docs/ssh-config.md#match-host-versus-match-originalhost-and-aliases).
    assert home.ssh_g("myjob").value("user") == "me"
    run.assert_block_effective()


def test_user_entry_for_all_baseten_hosts_is_reported_block_wins(home: Home) -> None:
    run = run_fixture(home, "baseten-wildcard-entry.conf")
    run.assert_ok()
    run.assert_block_at(1)
    run.assert_outside_untouched()
    run.assert_block_effective()
    assert "`Host *.ssh.baseten.co` also targets Baseten hosts" in run.result.stderr
    assert "the sshsetup block wins" in run.result.stderr
    assert home.ssh_g(TRAINING_HOST).value("serveraliveinterval") == "15"
    run.assert_other_hosts_unchanged()
    assert home.ssh_g("other.ssh.baseten.co").value("user") == "someone"


def test_negated_pattern_section_does_not_pull_block_up(home: Home) -> None:
    run = run_fixture(home, "negated-patterns.conf", "--forward-agent")
    run.assert_ok()
    run.assert_block_at(4)  # `Host * !*.baseten.co` cannot match: appended after it
    run.assert_outside_untouched()
    run.assert_block_effective(forward_agent=True)
    run.assert_other_hosts_unchanged()
    assert "Host * !*.baseten.co" not in run.result.stderr


def test_empty_file_gets_only_the_block_and_remove_empties_it(home: Home) -> None:
    run = run_fixture(home, "empty.conf")
    run.assert_ok()
    run.assert_block_at(1)
    assert cut_block(run.data) == b""
    run.assert_block_effective()
    assert home.run("remove").returncode == 0
    assert home.config.read_bytes() == b""


def test_comments_above_first_host_stay_attached(home: Home) -> None:
    run = run_fixture(home, "comments-above-first-host.conf")
    run.assert_ok()
    run.assert_block_at(4)
    run.assert_outside_untouched()
    lines = run.data.splitlines()
    end = block_span(run.data)[1]
    assert lines[end + 1 : end + 4] == [
        b"# Defaults for every other host.",
        b"# (keep this comment with them)",
        b"Host *",
    ]
    run.assert_block_effective()


def test_config_ssh_already_rejects_is_not_blamed_on_us(home: Home) -> None:
    run, mtime = run_rejected(home, "ssh-rejects.conf")
    assert run.result.returncode == ExitCode.SSH_REJECTED, str(run.result)
    assert "ssh already rejects" in run.result.stderr
    assert "before any change by sshsetup" in run.result.stderr
    assert "line 3: Bad configuration option: nosuchkeyword" in run.result.stderr
    run.assert_untouched(mtime)
