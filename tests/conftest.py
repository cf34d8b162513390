"""Shared pytest configuration.

Each area's fixtures live in a plugin module of its own (``pytest_plugins``).
Platform markers skip a test on other operating systems; under SSHSETUP_STRICT_SKIPS=1
(set by .ci/run) any other skip fails the run, so a missing feature can never hide
behind a skip.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest_plugins: list[str] = [
    "plugin_agent",
    "plugin_setup",
    "plugin_keyring",
    "plugin_sandbox",
    "plugin_connect",
    "plugin_doctor",
]

PLATFORM_MARKERS = {
    "linux_only": (sys.platform.startswith("linux"), "needs Linux"),
    "posix_only": (os.name == "posix", "needs a POSIX system"),
    "windows_only": (sys.platform == "win32", "needs Windows"),
    "macos_only": (sys.platform == "darwin", "needs macOS"),
}
PLATFORM_SKIP_PREFIX = "other OS: "


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name, (supported, reason) in PLATFORM_MARKERS.items():
            if item.get_closest_marker(name) and not supported:
                item.add_marker(pytest.mark.skip(reason=PLATFORM_SKIP_PREFIX + reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("SSHSETUP_STRICT_SKIPS") or not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if not any(reason_text in reason for _, reason_text in PLATFORM_MARKERS.values()):
        report.outcome = "failed"
        report.longrepr = f"skipped for a reason other than the OS (strict skips): {reason}"
