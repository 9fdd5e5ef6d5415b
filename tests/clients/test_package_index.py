"""A PEP 691 answer read as releases: yanked versions, pre-releases and malformed names."""

from __future__ import annotations

from packaging.version import Version

from bot.clients.package_index import releases_of


def files(*names: str, yanked: bool | str = False) -> list[dict[str, object]]:
    return [{"filename": name, "url": f"https://files.invalid/{name}", "yanked": yanked} for name in names]


def test_the_newest_release_skips_prereleases_and_yanked_versions() -> None:
    found = releases_of(
        files("demo-1.0.0.tar.gz", "demo-1.0.0-py3-none-any.whl", "demo-1.2.0.tar.gz")
        + files("demo-1.3.0.tar.gz", yanked="broken build")
        + files("demo-2.0.0rc1-py3-none-any.whl", "demo-1.4.0.dev3.tar.gz")
    )
    assert found.newest() == Version("1.2.0")
    assert found.is_yanked("1.3.0") and not found.is_yanked("1.2.0") and not found.is_yanked("9.9")


def test_a_version_is_yanked_only_when_each_of_its_files_is() -> None:
    found = releases_of(files("demo-1.0.tar.gz", yanked=True) + files("demo-1.0-py3-none-any.whl"))
    assert not found.is_yanked("1.0") and found.newest() == Version("1.0")


def test_malformed_file_names_are_skipped() -> None:
    found = releases_of(files("demo-1.0.tar.gz", "not a wheel.whl", "demo-notaversion.tar.gz", "demo.exe"))
    assert dict(found.yanked) == {Version("1.0"): False}
    assert releases_of([]).newest() is None
