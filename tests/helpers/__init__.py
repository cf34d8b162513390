"""Helpers for the tests, imported explicitly (``from helpers.homes import Home``).

Fixtures live in ``tests/conftest.py`` only; these modules hold the classes and functions
the fixtures and the tests build on. Nothing here is collected as a test.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTS_DIR = REPO_ROOT / "tests"
FIXTURES_DIR = REPO_ROOT / "fixtures"
