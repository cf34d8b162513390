"""The real ssh client logs in to the sandbox's real sshd with a certificate from its API,
and only with one."""

from __future__ import annotations

import pytest
from helpers.sandbox import ClientKey, sign, ssh_direct

from sshsetup.sandbox import Sandbox

pytestmark = pytest.mark.linux_only


def test_real_ssh_logs_in_with_a_certificate_from_the_api(
    sandbox: Sandbox, client_key: ClientKey
) -> None:
    sign(sandbox, client_key, job_id="login")
    user = sandbox.login_users[0]  # `baseten` as root, else the local user
    result = ssh_direct(sandbox, client_key, user, "id -un")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == user
    assert 'Accepted certificate ID "training-job-login-0"' in sandbox.sshd_log()


def test_sshd_refuses_a_key_without_a_certificate(sandbox: Sandbox, client_key: ClientKey) -> None:
    result = ssh_direct(sandbox, client_key, sandbox.login_users[0], "true")
    assert result.returncode == 255
    assert "Permission denied (publickey)" in result.stderr
