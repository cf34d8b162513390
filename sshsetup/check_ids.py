"""Every check's stable id: scripts and support tickets key on them, the README lists them."""

from __future__ import annotations

from enum import Enum, unique

from sshsetup.sshconfig.keywords import CHECKED_KEYS


@unique
class CheckId(str, Enum):
    OPENSSH_CLIENT = "openssh.client"
    CONFIG_TARGET = "config.target"
    CONFIG_ACCEPTED = "config.accepted"
    CONFIG_USE_KEYCHAIN = "config.use_keychain"
    BLOCK_PRESENT = "block.present"
    BLOCK_CURRENT = "block.current"
    BLOCK_SHADOWING = "block.shadowing"
    BLOCK_OTHER_CLIENTS = "block.other_clients"
    CONNECT_RUNTIME = "connect.runtime"
    EFFECTIVE_USER = "effective.user"
    EFFECTIVE_IDENTITYFILE = "effective.identityfile"
    EFFECTIVE_CERTIFICATEFILE = "effective.certificatefile"
    EFFECTIVE_PROXYCOMMAND = "effective.proxycommand"
    EFFECTIVE_FORWARDAGENT = "effective.forwardagent"
    EFFECTIVE_IDENTITIESONLY = "effective.identitiesonly"
    EFFECTIVE_ADDKEYSTOAGENT = "effective.addkeystoagent"
    EFFECTIVE_USEKEYCHAIN = "effective.usekeychain"
    HOST_BASETEN = "host.baseten"
    WORKLOAD_STATE = "workload.state"
    CERTIFICATE_PRESENT = "certificate.present"
    CERTIFICATE_VALIDITY = "certificate.validity"
    CERTIFICATE_KEY = "certificate.key"
    CERTIFICATE_AGENT_FORWARDING = "certificate.agent_forwarding"
    CREDENTIALS_API_KEY = "credentials.api_key"
    API_REACHABLE = "api.reachable"
    API_CREDENTIALS = "api.credentials"
    AGENT_SSH_CONFIG = "agent.ssh_config"
    AGENT_LOCATION = "agent.location"
    AGENT_REACHABLE = "agent.reachable"
    AGENT_IDENTITIES = "agent.identities"
    AGENT_KEY_COUNT = "agent.key_count"
    AGENT_GITHUB = "agent.github"
    KEYS_PERMISSIONS = "keys.permissions"
    CONFIG_PERMISSIONS = "config.permissions"
    MACOS_SSH_BUILD = "macos.ssh_build"
    MACOS_KEYCHAIN = "macos.keychain"
    WINDOWS_AGENT_SERVICE = "windows.agent_service"
    WINDOWS_SSH_ON_PATH = "windows.ssh_on_path"
    WINDOWS_GIT_SSH = "windows.git_ssh"
    WINDOWS_EDITOR_SSH = "windows.vscode_ssh"
    PROXY_ACCEPTS = "proxy.accepts"
    REMOTE_CONNECT = "remote.connect"
    REMOTE_AGENT_FORWARDING = "remote.agent_forwarding"


def effective_check_id(key: str) -> CheckId:
    """The ``effective.<keyword>`` check of one of the keywords doctor compares."""
    return CheckId(f"effective.{key}")


EFFECTIVE_CHECK_IDS = tuple(effective_check_id(key) for key in CHECKED_KEYS)
