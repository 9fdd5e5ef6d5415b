"""The page draws every emoji opsbot writes: each shortcode is mapped, each emoji is in the shipped font."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from sandbox import emoji_font
from sandbox.emoji_font import FONT, JOINERS, SHORTCODE, is_emoji, shortcodes, used_in_sources

REGENERATE = "regenerate the font as sandbox/emoji_font.py says"


def font_characters() -> set[str]:
    return {chr(point) for point in TTFont(FONT).getBestCmap()}


def test_every_shortcode_opsbot_writes_is_mapped() -> None:
    names, _ = used_in_sources()
    assert names, "no shortcode found: the scan of bot/ and handlers/ is broken"
    missing = sorted(names - set(shortcodes()))
    assert not missing, f"add these to sandbox/static/emoji/shortcodes.json, then {REGENERATE}: {missing}"


def test_every_emoji_opsbot_writes_is_in_the_page_font() -> None:
    _, chars = used_in_sources()
    assert {"🚨", "✅", "📈"} <= chars
    missing = sorted(chars - font_characters())
    assert not missing, f"{REGENERATE}: the page cannot draw {''.join(missing)}"


def test_every_mapped_shortcode_is_in_the_page_font() -> None:
    drawn = font_characters()
    missing = {name: emoji for name, emoji in shortcodes().items() if set(emoji) - set(JOINERS) - drawn}
    assert not missing, f"{REGENERATE}: {missing}"
    assert all(is_emoji(c) for emoji in shortcodes().values() for c in emoji if c not in JOINERS)


def test_the_font_stays_small() -> None:
    assert FONT.stat().st_size < 300_000


def test_shortcodes_are_told_apart_from_other_colons() -> None:
    text = "`weekly:ops:2026-W47` at 12:30:00 :rotating_light: Firings"
    assert SHORTCODE.findall(text) == ["rotating_light"]
    assert SHORTCODE.findall(":+1: and :eyes:") == ["+1", "eyes"]


def test_a_new_emoji_in_the_sources_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "new.py").write_text('TITLE = "🦄 :unicorn_face: Unicorns"\n', encoding="utf-8")
    monkeypatch.setattr(emoji_font, "ROOT", tmp_path)
    names, chars = used_in_sources()
    assert names == {"unicorn_face"} and chars == {"🦄"}
    assert "unicorn_face" not in shortcodes() and "🦄" not in font_characters()
