"""The agent protocol client against real ssh-agent processes and real sockets."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
from pathlib import Path

import pytest
from helpers.agents import RunningAgent, make_key, serve_once
from helpers.recordings import recorded

from sshsetup.agent.protocol import (
    MAX_REPLY_BYTES,
    AgentError,
    list_identities,
    parse_ssh_add_list,
    request_identities_message,
)

pytestmark = pytest.mark.linux_only


def keygen_fingerprint(public_key: Path) -> str:
    output = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.split()[1]


def test_empty_agent_lists_no_identities(empty_agent: RunningAgent) -> None:
    assert list_identities(str(empty_agent.socket)) == []


def test_key_is_listed_with_type_fingerprint_and_comment_as_ssh_keygen_prints(
    agent_with_key: tuple[RunningAgent, Path],
) -> None:
    agent, key = agent_with_key
    [identity] = list_identities(str(agent.socket))
    assert identity.key_type == "ssh-ed25519"
    assert identity.comment == "test@sshsetup"
    assert identity.fingerprint == keygen_fingerprint(key.with_name(key.name + ".pub"))
    assert not identity.is_certificate


def test_certificate_is_flagged_and_carries_its_keys_fingerprint(
    empty_agent: RunningAgent, tmp_path: Path
) -> None:
    ca = make_key(tmp_path / "ca")
    key = make_key(tmp_path / "user")
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(ca), "-I", "job", "-n", "app", str(key) + ".pub"],
        check=True,
        capture_output=True,
    )
    empty_agent.add(key)  # also loads user-cert.pub (docs/agent.md#certificates-in-the-agent)
    identities = list_identities(str(empty_agent.socket))
    [certificate] = [identity for identity in identities if identity.is_certificate]
    assert certificate.key_type == "ssh-ed25519-cert-v01@openssh.com"
    assert certificate.public_key_fingerprint == keygen_fingerprint(Path(str(key) + ".pub"))
    assert certificate.fingerprint != certificate.public_key_fingerprint


def test_killed_agents_socket_is_reported_as_refused(stale_agent_socket: Path) -> None:
    with pytest.raises(AgentError) as caught:
        list_identities(str(stale_agent_socket))
    assert caught.value.kind == "refused"
    assert "stale" in caught.value.message


def test_missing_socket_is_reported_as_missing(tmp_path: Path) -> None:
    with pytest.raises(AgentError) as caught:
        list_identities(str(tmp_path / "nothing-here"))
    assert caught.value.kind == "missing"


def test_plain_file_is_reported_as_not_a_socket(tmp_path: Path) -> None:
    plain = tmp_path / "agent.sock"
    plain.write_text("")
    with pytest.raises(AgentError) as caught:
        list_identities(str(plain))
    assert caught.value.kind == "not_socket"


def test_agent_that_never_answers_times_out_instead_of_hanging(silent_agent: Path) -> None:
    with pytest.raises(AgentError) as caught:
        list_identities(str(silent_agent), timeout=0.2)
    assert caught.value.kind == "timeout"


def test_reply_over_256_kib_is_refused(socket_dir: Path) -> None:
    with serve_once(socket_dir / "big.sock", struct.pack(">I", MAX_REPLY_BYTES + 1)) as path:
        with pytest.raises(AgentError) as caught:
            list_identities(str(path))
        assert caught.value.kind == "protocol"
        assert "256 KiB" in caught.value.message


def test_agent_failure_reply_is_a_protocol_error(socket_dir: Path) -> None:
    with serve_once(socket_dir / "fail.sock", struct.pack(">IB", 1, 5)) as path:
        with pytest.raises(AgentError) as caught:
            list_identities(str(path))
        assert "SSH_AGENT_FAILURE" in caught.value.message


def test_pipe_transport_reads_an_answer_recorded_from_a_real_agent(
    agent_with_key: tuple[RunningAgent, Path], tmp_path: Path
) -> None:
    agent, _ = agent_with_key
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(agent.socket))
        connection.sendall(request_identities_message())
        length = struct.unpack(">I", connection.recv(4))[0]
        answer = struct.pack(">I", length) + connection.recv(length)
    # A FIFO behaves like the Windows pipe for open(..., "rb+", buffering=0): the recorded
    # answer sits in it before the client writes its request behind it.
    fifo = tmp_path / "openssh-ssh-agent"
    os.mkfifo(fifo)
    holder = os.open(fifo, os.O_RDWR)
    try:
        os.write(holder, answer)
        via_pipe = list_identities(str(fifo), pipe=True)
    finally:
        os.close(holder)
    assert via_pipe == list_identities(str(agent.socket))


def test_ssh_add_list_parser_agrees_with_the_protocol(
    agent_with_key: tuple[RunningAgent, Path],
) -> None:
    agent, _ = agent_with_key
    listed = subprocess.run(["ssh-add", "-l"], env=agent.env, capture_output=True, text=True)
    [parsed] = parse_ssh_add_list(listed.returncode, listed.stdout, listed.stderr)
    [direct] = list_identities(str(agent.socket))
    assert (parsed.fingerprint, parsed.comment, parsed.key_type) == (
        direct.fingerprint,
        direct.comment,
        "ED25519",
    )


def test_ssh_add_list_parser_reads_empty_and_stale_agents(
    empty_agent: RunningAgent, stale_agent_socket: Path
) -> None:
    empty = subprocess.run(["ssh-add", "-l"], env=empty_agent.env, capture_output=True, text=True)
    assert parse_ssh_add_list(empty.returncode, empty.stdout, empty.stderr) == []
    env = {**os.environ, "SSH_AUTH_SOCK": str(stale_agent_socket)}
    stale = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
    with pytest.raises(AgentError) as caught:
        parse_ssh_add_list(stale.returncode, stale.stdout, stale.stderr)
    assert caught.value.kind == "refused"


def test_ssh_add_list_parser_reads_recorded_windows_output() -> None:
    [identity] = parse_ssh_add_list(0, recorded("windows/ssh_add_l.txt"), "")
    assert identity.fingerprint == "SHA256:Zq4rPrdgEYpZgHrE6oRpNPwR37dMy75/GhGs32onn2k"
    assert identity.comment == "C:\\Users\\chx/.ssh/id_rsa"
    assert identity.key_type == "RSA"
