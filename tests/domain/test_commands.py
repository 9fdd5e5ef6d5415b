from __future__ import annotations

from bot.domain.commands import parse_command_text, unescape_slack
from bot.domain.usage import ALL_COMMANDS, TICKET


def test_empty_text_has_no_subcommand() -> None:
    parsed = parse_command_text("   ")
    assert parsed.subcommand == "" and parsed.args == () and not parsed.wants_help


def test_first_word_is_the_subcommand_lower_cased() -> None:
    parsed = parse_command_text("Declare sev2 Checkout is slow")
    assert parsed.subcommand == "declare"
    assert parsed.args == ("sev2", "Checkout", "is", "slow")
    assert parsed.rest == "sev2 Checkout is slow"


def test_quotes_group_words() -> None:
    assert parse_command_text('new "Add index" impact=high').args == ("Add index", "impact=high")


def test_unbalanced_quotes_fall_back_to_plain_words() -> None:
    assert parse_command_text('new "Add index impact=high').args == ('"Add', "index", "impact=high")


def test_help_words() -> None:
    assert all(parse_command_text(word).wants_help for word in ("help", "HELP", "-h", "--help", "?"))


def test_every_command_documents_help_and_knows_its_subcommands() -> None:
    for usage in ALL_COMMANDS:
        assert usage.knows("help"), usage.command
    assert TICKET.knows("new") and TICKET.knows("matrix") and not TICKET.knows("frobnicate")


def test_only_slacks_three_entities_are_unescaped() -> None:
    assert unescape_slack("a &lt;b&gt; &amp;amp; &quot;c&quot; &#10;") == "a <b> &amp; &quot;c&quot; &#10;"
