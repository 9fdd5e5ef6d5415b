from __future__ import annotations

from bot.blocks.limits import BLOCKS_PER_MESSAGE, clip, header, message, section, text_sections
from bot.blocks.usage import render_usage
from bot.domain.usage import ALL_COMMANDS, INCIDENT, ONCALL, TICKET
from sandbox.blockkit import validate_blocks


def test_clip_marks_the_cut() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab…"


def test_header_and_section_never_exceed_slack_limits() -> None:
    assert len(header("x" * 500)["text"]["text"]) == 150
    block = section("y" * 5000, fields=["f" * 3000] * 12)
    assert len(block["text"]["text"]) == 3000
    assert len(block["fields"]) == 10 and all(len(f["text"]) == 2000 for f in block["fields"])


def test_message_caps_the_number_of_blocks() -> None:
    built = message("t", [section(str(i)) for i in range(80)])
    assert len(built["blocks"]) == BLOCKS_PER_MESSAGE
    assert "31 more not shown" in built["blocks"][-1]["elements"][0]["text"]


def test_usage_lists_every_subcommand_with_examples() -> None:
    rendered = render_usage(ONCALL)
    text = str(rendered["blocks"])
    assert "`/oncall`" in text and "`/oncall override @user <duration> [team] [layer]`" in text
    assert "/oncall override @bob 4h" in text
    assert rendered["text"].startswith("/oncall help")


def test_help_says_which_subcommands_open_a_form_without_their_text() -> None:
    incident, ticket = str(render_usage(INCIDENT)["blocks"]), str(render_usage(TICKET)["blocks"])
    assert "without the text, the update form" in incident
    assert "without a summary, the resolution form" in incident
    assert "without a title, the form" in incident
    assert "`new` alone opens the form" in ticket


def test_usage_names_the_problem_first() -> None:
    rendered = render_usage(ONCALL, problem="`/oncall frob` is not a /oncall command.")
    assert "frob" in rendered["blocks"][0]["text"]["text"]


def test_every_usage_fits_in_one_message() -> None:
    for usage in ALL_COMMANDS:
        assert len(render_usage(usage)["blocks"]) <= BLOCKS_PER_MESSAGE


def test_long_text_becomes_several_sections_that_keep_every_character() -> None:
    text = "update " * 1500  # 10,500 characters: four sections
    blocks = text_sections(text, block_id="marker-1")
    assert validate_blocks(blocks) == []
    assert len(blocks) == 4 and blocks[0]["block_id"] == "marker-1"
    assert "".join(b["text"]["text"] for b in blocks) == text
    assert validate_blocks(text_sections("")) == []
