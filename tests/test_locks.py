"""The locks install what pyproject.toml asks for, every pin with hashes (`make lock` after a change)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(lock: str) -> dict[str, str]:
    """Name → version of every pin that applies to this interpreter, checking each pin has a hash."""
    text = (ROOT / "requirements" / lock).read_text()
    found: dict[str, str] = {}
    for block in re.split(r"\n(?=\S)", text):
        first = block.splitlines()[0]
        match = PIN.match(first)
        if not match:
            continue
        name, version, marker = match.groups()
        assert "--hash=sha256:" in block, f"{lock}: {name}=={version} has no hash"
        if marker is None or Requirement(f"x; {marker}").marker.evaluate(default_environment()):
            found[canonicalize_name(name)] = version
    return found


def project() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(("lock", "extra"), [("service.lock", None), ("dev.lock", "test")])
def test_every_dependency_is_pinned_within_its_range(lock: str, extra: str | None) -> None:
    pinned = pins(lock)
    wanted = project()["dependencies"] + (project()["optional-dependencies"][extra] if extra else [])
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} lacks {name}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {requirement.specifier}: run `make lock`"
        )


def test_dev_lock_runs_the_same_service_as_the_service_lock() -> None:
    service, dev = pins("service.lock"), pins("dev.lock")
    assert {name: dev.get(name) for name in service} == service
