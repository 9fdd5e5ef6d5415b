"""The digest rules are pure: their modules import the standard library and bot.domain only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"


@pytest.mark.parametrize(
    "name",
    [
        "digest_periods.py",
        "digests.py",
        "capacity.py",
        "storms.py",
        "stale_hosts.py",
        "reviews.py",
        "info_review.py",
        "review_checklist.py",
        "channel_review.py",
    ],
)
def test_digest_domain_modules_import_only_the_standard_library(name: str) -> None:
    tree = ast.parse((DOMAIN / name).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    foreign = {
        module
        for module in imported
        if module.split(".")[0] not in sys.stdlib_module_names and not module.startswith("bot.domain")
    }
    assert foreign == set()
