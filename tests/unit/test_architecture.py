"""The boundaries the README promises, enforced: import-linter's contracts, the connect path's
allow-list, and one source for every Baseten fact."""

from __future__ import annotations

import fnmatch
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path, PurePath

import tomllib

import sshsetup
from sshsetup import baseten, errors
from sshsetup.connect.settings import BlockOptions
from sshsetup.exit_codes import ExitCode
from sshsetup.runtime import RUNTIME_MODULES
from sshsetup.sandbox import api as sandbox_api
from sshsetup.sandbox import home as sandbox_home
from sshsetup.sshconfig import keywords
from sshsetup.sshconfig.block import BlockSpec, render_block
from sshsetup.sshconfig.lines import split_lines
from sshsetup.sshconfig.patterns import section_can_match

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CONTRACTS = PYPROJECT["tool"]["importlinter"]["contracts"]
# What the connect path (copied as the stable runtime) may import besides the standard library.
CONNECT_ALLOWED = {module.removeprefix("sshsetup.") for module in RUNTIME_MODULES}


def test_import_contracts_hold() -> None:
    """`lint-imports` over pyproject.toml's contracts, run by this interpreter (its console
    script may not be on PATH)."""
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "BROKEN" not in completed.stdout


def _connect_contract() -> dict[str, list[str]]:
    return next(c for c in CONTRACTS if "sshsetup.connect" in c.get("source_modules", []))


def test_connect_contract_forbids_every_other_module_and_dependency() -> None:
    """A module added to the package is forbidden to the connect path until it is allowed
    here on purpose (the contract lists modules, so this keeps the list complete)."""
    contract = _connect_contract()
    top_level = {module.name for module in pkgutil.iter_modules(sshsetup.__path__)}
    expected = {f"sshsetup.{name}" for name in top_level - CONNECT_ALLOWED - {"__main__"}}
    forbidden = set(contract["forbidden_modules"])
    assert expected <= forbidden
    dependencies = {
        requirement.split(">")[0].split("<")[0].split("=")[0].strip()
        for requirement in PYPROJECT["project"]["dependencies"]
    }
    assert dependencies <= forbidden


def test_connect_contract_sources_are_what_the_runtime_copies() -> None:
    """The runtime's copy (sshsetup.runtime) holds exactly the contract's sources: the contract
    is what makes the copy complete."""
    contract = _connect_contract()
    assert set(contract["source_modules"]) == set(RUNTIME_MODULES)


def _rendered_sections() -> list[tuple[list[str], dict[str, str]]]:
    """(host patterns, keyword -> value) of each section of a rendered block."""
    spec = BlockSpec(
        python=PurePath("/usr/bin/python3"),
        hook_script=PurePath("/rt/hook.py"),
        proxy_script=PurePath("/rt/proxy.py"),
        key_file=PurePath("/k/id_ed25519"),
        cert_dir=PurePath("/k/certs"),
        options=BlockOptions(),
    )
    sections: list[tuple[list[str], dict[str, str]]] = []
    for line in split_lines("\n".join(render_block(spec)) + "\n"):
        if line.keyword == keywords.MATCH.key and "host" in line.args:
            patterns = line.args[line.args.index("host") + 1].split(",")
            sections.append(([p for p in patterns if not p.startswith("!")], {}))
        elif sections and not keywords.is_section(line.keyword) and line.args:
            sections[-1][1].setdefault(line.keyword, line.args[0])
    return sections


def test_block_patterns_and_users_come_from_the_workload_table() -> None:
    sections = _rendered_sections()
    assert [patterns for patterns, _ in sections] == [[w.host_glob] for w in baseten.WORKLOADS]
    assert [values["user"] for _, values in sections] == [w.remote_user for w in baseten.WORKLOADS]


def test_grammar_placement_and_sandbox_agree_with_the_workload_table() -> None:
    for workload in baseten.WORKLOADS:
        assert fnmatch.fnmatchcase(workload.example_host, workload.host_glob)
        assert baseten.parse_host(workload.example_host).kind == workload.kind
        assert baseten.workload_matching(workload.example_host) is workload
    default_globs = inspect.signature(section_can_match).parameters["globs"].default
    assert default_globs is baseten.HOST_GLOBS
    assert sandbox_home.ANY_HOST_GLOB is baseten.ANY_HOST_GLOB
    assert all(
        fnmatch.fnmatchcase(host, baseten.ANY_HOST_GLOB) for host in sandbox_home.EXAMPLE_HOSTS
    )
    ids = {"project": "p", "job": "j", "model": "m", "deployment": "d", "environment": "e"}
    routed = {
        name
        for template in (
            baseten.SEARCH_JOBS_PATH,
            baseten.SIGN_TRAINING_PATH,
            baseten.SIGN_MODEL_PATH,
            baseten.ENVIRONMENT_PATH,
            baseten.MODELS_PATH,
            baseten.DEPLOYMENT_PATH,
            baseten.USERS_ME_PATH,
            baseten.TRAINING_JOB_PATH,
            baseten.AUTH_CODES_PATH,
            baseten.SESSION_PATH,
            baseten.JOB_SESSION_PATH,
        )
        for name, _, pattern in sandbox_api.ROUTES
        if pattern.fullmatch(template.format(session="s", **ids))
    }
    assert routed == {name for name, _, _ in sandbox_api.ROUTES}
    assert baseten.workload_of(baseten.TRAINING).remote_user == sandbox_api.TRAINING_PRINCIPAL
    assert baseten.workload_of(baseten.MODEL).remote_user == sandbox_api.MODEL_PRINCIPAL


def test_keyword_table_is_the_block_s_vocabulary() -> None:
    """Every keyword the block writes is in the table and flagged as the block's."""
    written = {key for _, values in _rendered_sections() for key in values}
    assert written <= {k.key for k in keywords.TABLE if k.in_block}
    assert written - keywords.ACCUMULATING_KEYS <= keywords.SHADOWING_KEYS


def test_every_error_class_names_an_exit_code() -> None:
    classes = [errors.SshsetupError]
    seen = set()
    while classes:
        cls = classes.pop()
        seen.add(cls)
        classes.extend(cls.__subclasses__())
    for cls in seen:
        assert cls.exit_code_name in ExitCode.__members__, cls
