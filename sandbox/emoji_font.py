"""The sandbox page's emoji: Slack's shortcodes opsbot writes, mapped to Unicode, and a font holding just
the Noto Color Emoji glyphs opsbot's messages use, so a machine without an emoji font (Debian's headless
chromium, a bare Linux desktop) still draws them instead of empty boxes.

Regenerate the font after bot/ starts using a new emoji (tests/sandbox/test_emoji_font.py fails until then):

    apt-get download fonts-noto-color-emoji && dpkg-deb -x fonts-noto-color-emoji_*.deb noto
    .venv/bin/python -m sandbox.emoji_font noto/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

Noto Color Emoji is under the SIL Open Font License 1.1 (sandbox/static/emoji/OFL.txt), which allows
shipping a subset of it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMOJI_DIR = Path(__file__).parent / "static" / "emoji"
FONT = EMOJI_DIR / "opsbot-emoji.ttf"
SHORTCODES = EMOJI_DIR / "shortcodes.json"
SOURCES = ("bot", "handlers")
# The Unicode blocks emoji live in: Miscellaneous Technical, Miscellaneous Symbols, Dingbats, Miscellaneous
# Symbols and Arrows, and the pictographs of plane 1. The page's CSS uses the same ranges (app.css).
EMOJI_RANGES = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
TEXT_SYMBOLS = frozenset("☐")  # in those blocks but not emoji: ordinary text fonts draw it
JOINERS = "\ufe0f\u200d"  # the emoji presentation selector and the zero-width joiner of sequences
# `:name:` as Slack writes it, not the colons of `weekly:ops:2026-W47` or `12:30:00`.
SHORTCODE = re.compile(r"(?<![\w:]):([a-z0-9_+-]+):(?![\w:])")


def shortcodes() -> dict[str, str]:
    """The shortcodes the page draws, each with its Unicode emoji."""
    mapping: dict[str, str] = json.loads(SHORTCODES.read_text(encoding="utf-8"))
    return mapping


def is_emoji(char: str) -> bool:
    """Tell whether a character is one the emoji font must draw."""
    point = ord(char)
    return char not in TEXT_SYMBOLS and any(low <= point <= high for low, high in EMOJI_RANGES)


def source_files() -> list[Path]:
    return sorted(path for folder in SOURCES for path in (ROOT / folder).rglob("*.py"))


def used_in_sources() -> tuple[set[str], set[str]]:
    """The shortcodes and the Unicode emoji written anywhere in opsbot's code (bot/, handlers/)."""
    names: set[str] = set()
    chars: set[str] = set()
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        names.update(SHORTCODE.findall(text))
        chars.update(c for c in text if is_emoji(c))
    return names, chars


def characters_needed() -> set[str]:
    """Every character the font must hold: the sources' emoji and those of the shortcodes the page maps."""
    _, chars = used_in_sources()
    mapped = {c for emoji in shortcodes().values() for c in emoji if c not in JOINERS}
    return chars | mapped


def build(noto: Path, output: Path = FONT) -> int:
    """Write the subset of `noto` holding `characters_needed()`; return its size in bytes."""
    text = "".join(sorted(characters_needed())) + JOINERS
    subprocess.run(
        [
            sys.executable, "-m", "fontTools.subset", str(noto), f"--text={text}", f"--output-file={output}",
            "--layout-features=*", "--no-hinting", "--drop-tables+=DSIG",
        ],
        check=True,
    )  # fmt: skip
    return output.stat().st_size


if __name__ == "__main__":
    size = build(Path(sys.argv[1]))
    print(f"wrote {FONT.relative_to(ROOT)} ({size // 1024} KB)")
