"""A package index's JSON simple API (PEP 691), the one pip itself reads: which releases a project has and
which are yanked. Registry data is untrusted: malformed file names and versions are skipped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class IndexUnavailable(Exception):
    """The index could not tell about one project (not found, an error status, a time-out)."""


@dataclass(frozen=True)
class Releases:
    """A project's versions on the index, each with whether every one of its files is yanked."""

    yanked: Mapping[Version, bool]

    def newest(self) -> Version | None:
        """The newest final release (no pre-release or dev release) that is not yanked."""
        usable = [v for v, yanked in self.yanked.items() if not yanked and not v.is_prerelease]
        return max(usable, default=None)

    def is_yanked(self, version: str) -> bool:
        """Whether the index yanked `version` (every file of it); False for a version it does not list."""
        try:
            return self.yanked.get(Version(version), False)
        except InvalidVersion:
            return False


def releases_of(files: Iterable[Mapping[str, Any]]) -> Releases:
    """The versions a PEP 691 `files` list holds: a version is yanked when each of its files is."""
    yanked: dict[Version, bool] = {}
    for file in files:
        version = _version_of(str(file.get("filename", "")))
        if version is not None:
            # PEP 691: `yanked` is false, true, or the reason (a non-empty string means yanked)
            gone = bool(file.get("yanked", False))
            yanked[version] = yanked.get(version, True) and gone
    return Releases(yanked)


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


async def fetch_releases(session: aiohttp.ClientSession, index_url: str, name: str) -> Releases:
    """The releases of project `name` (normalized) from `<index_url>/<name>/`."""
    url = f"{index_url.rstrip('/')}/{name}/"
    try:
        async with session.get(url, headers={"Accept": SIMPLE_JSON}) as response:
            if response.status == 404:
                raise IndexUnavailable("not on the index")
            if response.status != 200:
                raise IndexUnavailable(f"the index answered {response.status}")
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, ValueError) as error:
        raise IndexUnavailable(type(error).__name__) from None
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, list):
        raise IndexUnavailable("not a PEP 691 answer")
    return releases_of(f for f in files if isinstance(f, dict))


async def fetch_all(
    index_url: str, names: Sequence[str], *, within_seconds: float, concurrency: int
) -> dict[str, Releases | IndexUnavailable]:
    """Each project's releases (or why not), at most `concurrency` requests at once, all within
    `within_seconds`: a slow index costs the projects it has not answered by then, not the caller's
    deadline."""
    limit = asyncio.Semaphore(concurrency)
    deadline = asyncio.get_running_loop().time() + within_seconds

    async def one(session: aiohttp.ClientSession, name: str) -> Releases | IndexUnavailable:
        try:
            async with asyncio.timeout_at(deadline), limit:
                return await fetch_releases(session, index_url, name)
        except TimeoutError:
            return IndexUnavailable(f"no answer within {within_seconds:g} s")
        except IndexUnavailable as error:
            return error

    async with aiohttp.ClientSession() as session:
        found = await asyncio.gather(*(one(session, name) for name in names))
    return dict(zip(names, found, strict=True))
