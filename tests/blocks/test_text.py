"""The one rule for outside text in Slack messages: no mention, link or date can be forged through it."""

from __future__ import annotations

import pytest

from bot.blocks.text import link, relayed, untrusted
from sandbox.mentions import mentions

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0OPS|@ops>",
    "<@U0CEO>",
    "<@U0CEO|ceo>",
    "<#C0GENERAL>",
    "<http://evil.example|click me>",
    "<!date^1700000000^{date}|today>",
    "&lt;!channel&gt;",
    "DiskFull <!channel> now",
    "a > b & c < d",
    "<<!here>>",
]


def notifies(text: str) -> list[str]:
    return mentions(text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}], None, linked=False)


@pytest.mark.parametrize("text", HOSTILE)
def test_untrusted_text_forms_no_control_sequence(text: str) -> None:
    shown = untrusted(text)
    assert "<" not in shown and ">" not in shown
    assert notifies(shown) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a > b & c < d", "a &gt; b &amp; c &lt; d"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("&lt;", "&amp;lt;"),  # outside text is shown as written, entities included
        ("plain words", "plain words"),
    ],
)
def test_untrusted_escapes_exactly_slacks_three_characters(text: str, shown: str) -> None:
    assert untrusted(text) == shown


@pytest.mark.parametrize(
    ("url", "label", "shown"),
    [
        ("https://runbooks.example/disk", "Runbook", "<https://runbooks.example/disk|Runbook>"),
        ("http://grafana.example/d?a=1&b=2", "Dashboard", "<http://grafana.example/d?a=1&amp;b=2|Dashboard>"),
        ("https://x.example/a|<!channel>", "Runbook", "<https://x.example/a%7C%3C!channel%3E|Runbook>"),
        ("https://x.example/a>b", "Source", "<https://x.example/a%3Eb|Source>"),
        ("https://x.example/a b", "Source", "<https://x.example/a%20b|Source>"),
        ("https://x.example/", "<!here>", "<https://x.example/|&lt;!here&gt;>"),
        ("javascript:alert(1)", "Runbook", "Runbook (javascript:alert(1))"),
        ("slack://channel?id=C1", "Runbook", "Runbook (slack://channel?id=C1)"),
        ("mailto:ops@example.com", "", "mailto:ops@example.com"),
        ("not a url <!channel>", "Source", "Source (not a url &lt;!channel&gt;)"),
        ("https://", "Source", "Source (https://)"),
        ("http://[::1", "Source", "Source (http://[::1)"),
    ],
)
def test_links_only_for_http_urls(url: str, label: str, shown: str) -> None:
    assert link(url, label) == shown
    assert notifies(shown) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Cache warmed <!everyone>", "Cache warmed @everyone"),
        ("<!here> and <!channel>", "@here and @channel"),
        ("<!here|here> ping", "@here ping"),
        ("ask <!subteam^S0OPS|@ops>", "ask @ops"),
        ("ask <!subteam^S0OPS>", "ask @group"),
        ("thanks <@U0BOB|bob> in <#C0INC|incidents>", "thanks <@U0BOB|bob> in <#C0INC|incidents>"),
        ("see <https://status.example/x|status>", "see <https://status.example/x|status>"),
        ("see <javascript:alert(1)|status>", "see &lt;javascript:alert(1)|status&gt;"),
        ("at <!date^1700000000^{date}|Nov 14>", "at Nov 14"),
        ("latency &lt; 200 ms &amp; falling", "latency &lt; 200 ms &amp; falling"),  # command text
        ("latency < 200 ms & falling", "latency &lt; 200 ms &amp; falling"),  # modal text
        ("&lt;!here&gt;", "&lt;!here&gt;"),
        ("<<!here>>", "&lt;@here&gt;"),
    ],
)
def test_relayed_text_keeps_its_words_without_broadcasts(text: str, shown: str) -> None:
    assert relayed(text) == shown
    assert not [m for m in notifies(shown) if not m.startswith("@")]


@pytest.mark.parametrize("text", HOSTILE)
def test_relayed_hostile_text_never_broadcasts(text: str) -> None:
    assert not [m for m in notifies(relayed(text)) if not m.startswith("@")]
