"""The sandbox records who a message would notify, parsed as Slack parses it, so tests can assert "no
broadcast" while a bot's own `<@U…>` pages still pass."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Workspace
from sandbox.mentions import is_broadcast, mentions


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("<!channel> disk full", ["channel"]),
        ("<!here|here> and <!everyone>", ["here", "everyone"]),
        ("ask <!subteam^S0OPS|@ops>", ["subteam^S0OPS"]),
        ("paging <@U0BOB> and <@W0ALICE|alice>", ["@U0BOB", "@W0ALICE"]),
        ("<!date^1700000000^{date}|today> <#C0GENERAL>", []),
        ("&lt;!channel&gt; and @here without link_names", []),
    ],
)
def test_mentions_in_text(text: str, found: list[str]) -> None:
    assert mentions(text, None, None, linked=False) == found


def test_block_mrkdwn_and_attachments_notify_but_plain_text_does_not() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "<!channel>"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!here>"}]},
        {"type": "section", "text": mrkdwn("x")["text"], "fields": [{"type": "mrkdwn", "text": "<@U1>"}]},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "broadcast", "range": "everyone"}, {"type": "usergroup", "usergroup_id": "S1"}]}]},
    ]  # fmt: skip
    attachments = [{"pretext": "<!subteam^S2>", "fields": [{"value": "<@U2>"}]}]
    found = mentions("fallback", blocks, attachments, linked=False)
    assert sorted(found) == sorted(["here", "@U1", "everyone", "subteam^S1", "subteam^S2", "@U2"])
    assert [m for m in found if is_broadcast(m)] == ["here", "subteam^S2", "everyone", "subteam^S1"]


def test_plain_at_here_notifies_only_with_link_names() -> None:
    assert mentions("heads up @here", None, None, linked=True) == ["here"]
    assert mentions("heads up @here", None, None, linked=False) == []
    assert mentions("mail ops@here.example", None, None, linked=True) == []


async def test_posted_and_updated_broadcasts_are_recorded(client: AsyncWebClient, ws: Workspace) -> None:
    general = ws.channel_by_name("general").id
    page = await client.chat_postMessage(channel=general, text="<@U0BOB> you are paged")
    assert ws.broadcasts() == [] and ws.notifications[-1].mentions == ("@U0BOB",)
    await client.chat_update(channel=general, ts=page["ts"], text="still", blocks=[mrkdwn("<!channel>")])
    await client.chat_postMessage(channel=general, text="@everyone", link_names=True)
    shouted = ws.broadcasts()
    assert [(n.change, n.broadcasts) for n in shouted] == [
        ("updated", ("channel",)),
        ("posted", ("everyone",)),
    ]
