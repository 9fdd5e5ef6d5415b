"""/ticket end to end: create by command and form, list filters, the lifecycle, the matrix, the registry,
"Open ticket" on alerts and postmortems, and the App Home tab."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from sandbox.page_actions import _click_in_view as click_in_view  # the sandbox page's click on a view element
from tests.support.alertmanager import alert, send
from tests.support.incidents import incident_channel


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.01, "escalation": []}}


async def new_ticket(slack: SlackPlayer, ws: Any, text: str, *, number: int, user: str = "alice") -> Any:
    await slack.slash("/ticket", f"new {text}", user=user)
    return await ws.wait_for_message("general", contains=f"opened TKT-{number}")


async def click_in_home(slack: SlackPlayer, home: Any, action_id: str) -> None:
    await click_in_view(slack, {"view_id": home.id, "action_id": action_id, "user": "alice"}, selected=None)


async def test_new_by_command_replies_in_channel_with_the_quadrant(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    reply = await new_ticket(
        slack, ws, '"Add index on orders.user_id" impact=high effort=low area=database', number=1
    )
    text = ws.message_text(reply)
    assert "<@U0ALICE> opened TKT-1, a *Quick Win*" in text
    assert "TKT-1 · Add index on orders.user_id" in text and "database" in text and "high / low" in text
    await slack.slash("/ticket", "new Rewrite the search impact=4 effort=5 metric=latency", user="bob")
    major = ws.message_text(await ws.wait_for_message("general", contains="opened TKT-2"))
    assert "Major Project" in major and "API latency p95" in major and "not measured yet" in major


async def test_bad_input_gets_a_helpful_ephemeral(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "new Tune the pool area=kitchen", user="carol")
    bad_area = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="Unknown area"))
    assert "`database`" in bad_area and "`background_jobs`" in bad_area and "`cost`" in bad_area
    await slack.slash("/ticket", "new impact=high", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="Give the ticket a title")
    await slack.slash("/ticket", "show 42", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="There is no ticket TKT-42")
    await slack.slash("/ticket", "frobnicate", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="is not a /ticket command")
    await slack.slash("/ticket", "help", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="/ticket — help")


@pytest.mark.parametrize("text", ["", "new"])
async def test_the_form_creates_a_ticket(slack: SlackPlayer, sandbox: Any, text: str) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", text, user="bob", channel="random")
    form = await ws.wait_for_view(user="bob", callback_id="ticket_new")
    await slack.submit_view(
        form,
        {
            "ticket_title": "Batch the nightly export",
            "ticket_description": "It holds a lock for 20 minutes",
            "ticket_area": "background jobs",
            "ticket_impact": "2",
            "ticket_effort": "high",
            "ticket_metric": "cpu",
        },
    )
    reply = ws.message_text(await ws.wait_for_message("random", contains="opened TKT-1"))
    assert "Thankless Task" in reply and "background jobs" in reply and "It holds a lock" in reply
    assert "CPU usage" in reply


async def test_list_filters(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await new_ticket(slack, ws, "Quick one impact=high effort=low area=api", number=1)
    await new_ticket(slack, ws, "Big one impact=high effort=high area=database", number=2)
    await new_ticket(slack, ws, "Small one impact=low effort=low area=frontend", number=3)
    await new_ticket(slack, ws, "Grind impact=1 effort=5 area=cost", number=4, user="bob")
    expected = {
        "quickwins": "Quick one",
        "major": "Big one",
        "fillins": "Small one",
        "thankless": "Grind",
        "area=database": "Big one",
    }
    for word, title in expected.items():
        await slack.slash("/ticket", f"list {word}", user="carol")
        shown = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains=title))
        others = {"Quick one", "Big one", "Small one", "Grind"} - {title}
        assert not any(other in shown for other in others), (word, shown)
        ws.ephemerals.clear()
    await slack.slash("/ticket", "assign 4 me", user="bob")
    await ws.wait_for_message("general", contains="gave TKT-4 to <@U0BOB>")
    await slack.slash("/ticket", "list mine", user="bob")
    mine = ws.message_text(await ws.wait_for_ephemeral(user="bob", contains="Your tickets"))
    assert "Grind" in mine and "Quick one" not in mine
    await slack.slash("/ticket", "list open", user="bob")
    every = ws.message_text(await ws.wait_for_ephemeral(user="bob", contains="Open tickets: 4"))
    assert all(t in every for t in ("Quick one", "Big one", "Small one", "Grind"))


async def test_lifecycle_assign_start_done_drop(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await new_ticket(slack, ws, "Cache the catalog impact=high effort=low", number=1)
    await new_ticket(slack, ws, "Move to a bigger box impact=low effort=high", number=2)
    await slack.slash("/ticket", "assign 1 <@U0BOB|bob>", user="alice")
    assigned = ws.message_text(await ws.wait_for_message("general", contains="gave TKT-1 to <@U0BOB>"))
    assert "*Owner*\n<@U0BOB>" in assigned
    await slack.slash("/ticket", "start 1", user="bob")
    started = ws.message_text(await ws.wait_for_message("general", contains="<@U0BOB> started TKT-1"))
    assert "in progress" in started
    await slack.slash("/ticket", "start 1", user="bob")
    await ws.wait_for_ephemeral(user="bob", contains="TKT-1 is in progress; it cannot start now")
    await slack.slash("/ticket", "done 1 hit ratio is 97 %", user="bob")
    done = ws.message_text(await ws.wait_for_message("general", contains="finished TKT-1"))
    assert "✅ done" in done and "hit ratio is 97 %" in done
    await slack.slash("/ticket", "drop 2 not worth the money", user="alice")
    dropped = ws.message_text(await ws.wait_for_message("general", contains="dropped TKT-2"))
    assert "Dropped: not worth the money" in dropped
    await slack.slash("/ticket", "drop 1 changed my mind", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="TKT-1 is done; it cannot drop now")
    await slack.slash("/ticket", "show 1", user="dave")
    shown = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="TKT-1 · Cache the catalog"))
    assert "<@U0BOB>" in shown and "done" in shown
    await slack.slash("/ticket", "registry", user="dave")
    registry = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="Optimization registry"))
    assert "TKT-1" in registry and "TKT-2" not in registry and "no metric" in registry


async def test_matrix_counts_titles_and_a_chart(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await new_ticket(slack, ws, "Quick one impact=high effort=low", number=1)
    await new_ticket(slack, ws, "Another quick one impact=5 effort=2", number=2)
    await new_ticket(slack, ws, "Grind impact=low effort=high", number=3)
    await slack.slash("/ticket", "matrix", user="alice")
    matrix = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="Impact × effort matrix"))
    assert "Quick Win* (2)" in matrix and "Another quick one" in matrix
    assert "Thankless Task* (1)" in matrix and "Major Project* (0)" in matrix
    shared = await ws.wait_for_message("general", predicate=lambda m: bool(m.files))
    file = ws.files[shared.files[0]["id"]]
    assert file.content.startswith(b"\x89PNG") and file.title == "Impact × effort matrix"


async def test_open_ticket_from_an_alert_links_back(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("SlowCheckout", severity="critical", summary="p95 above 2 s"))
    message = await ws.wait_for_message("critical-alerts", contains="SlowCheckout")
    await slack.click(message, "ticket_open", user="carol")
    form = await ws.wait_for_view(user="carol", callback_id="ticket_new")
    link = ws.message_text({"blocks": form.blocks})
    assert "alert group" in link and "http" in link
    title = next(b for b in form.blocks if b.get("block_id") == "ticket_title")
    assert title["element"]["initial_value"] == "SlowCheckout: p95 above 2 s"
    await slack.submit_view(
        form,
        {
            "ticket_title": "SlowCheckout: p95 above 2 s",
            "ticket_area": "api",
            "ticket_impact": "high",
            "ticket_effort": "low",
        },
    )
    created = ws.message_text(await ws.wait_for_message("critical-alerts", contains="opened TKT-1"))
    assert "Quick Win" in created and "|alert group>" in created


async def test_each_postmortem_action_item_opens_its_own_ticket_once(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2 Payments are slow", user="bob")
    channel = (await incident_channel(ws, 1)).name
    for item in ("Add a canary for the payment provider", "Page on p95 latency, not p99"):
        await slack.slash("/incident", f"action {item}", user="bob", channel=channel)
    await ws.wait_for_ephemeral(user="bob", contains="Action item 2 of INC-1 recorded")
    await slack.slash("/incident", "postmortem", user="bob", channel=channel)
    prompt = await ws.wait_for_message(channel, contains="Action items of INC-1")
    item_block = next(b for b in prompt.blocks if "Page on p95 latency" in str(b))
    await slack.click(prompt, "ticket_open", user="bob", block_id=item_block["block_id"])
    form = await ws.wait_for_view(user="bob", callback_id="ticket_new")
    title = next(b for b in form.blocks if b.get("block_id") == "ticket_title")
    assert title["element"]["initial_value"] == "Page on p95 latency, not p99"
    assert "|incident>" in ws.message_text({"blocks": form.blocks})  # a link back to the incident
    await slack.submit_view(
        form,
        {
            "ticket_title": "Page on p95 latency, not p99",
            "ticket_area": "infrastructure",
            "ticket_impact": "high",
            "ticket_effort": "low",
        },
    )
    await ws.wait_for_message(channel, contains="opened TKT-1")
    await slack.slash("/incident", "postmortem", user="bob", channel=channel)

    def prompts() -> list[Any]:
        return [m for m in ws.messages(channel) if "Action items of INC-1" in ws.message_text(m)]

    await ws.wait_until(lambda: len(prompts()) == 2 or None, timeout=10, describe=lambda: "no 2nd prompt")
    again = prompts()[-1]
    done = next(b for b in again.blocks if "Page on p95 latency" in str(b))
    assert "TKT-1" in ws.message_text({"blocks": [done]}) and "accessory" not in done
    assert "accessory" in next(b for b in again.blocks if "Add a canary" in str(b))
    latest = [f for f in ws.files.values() if f.name == "INC-1-postmortem.md"][-1].content.decode()
    assert "- [ ] Page on p95 latency, not p99 (owner: _tbd_) — ticket TKT-1" in latest
    assert "- [ ] Add a canary for the payment provider" in latest and "Fix the root cause" not in latest


async def test_the_postmortem_offers_an_open_ticket_button(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Search results are stale", user="bob")
    await ws.wait_for_message("incidents", contains="SEV3 Medium · Search results are stale")
    await slack.slash("/incident", "resolve 1 Reindexed", user="bob")
    prompt = await ws.wait_for_message("incidents", contains="Turn an action item of INC-1 into a ticket")
    await slack.click(prompt, "ticket_open", user="bob")
    form = await ws.wait_for_view(user="bob", callback_id="ticket_new")
    assert "incident" in ws.message_text({"blocks": form.blocks})
    await slack.submit_view(
        form,
        {
            "ticket_title": "Alert on stale search indexes",
            "ticket_area": "background jobs",
            "ticket_impact": "high",
            "ticket_effort": "low",
        },
    )
    created = ws.message_text(await ws.wait_for_message("incidents", contains="opened TKT-1"))
    assert "|incident>" in created


async def test_app_home_shows_incidents_alerts_oncall_and_tickets(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("DiskFull", severity="critical"))
    await ws.wait_for_message("critical-alerts", contains="DiskFull")
    await slack.slash("/incident", "declare sev4 Button is misaligned", user="bob")
    await ws.wait_for_message("incidents", contains="Button is misaligned")
    await new_ticket(slack, ws, "Mine to do impact=low effort=low", number=1)
    await slack.slash("/ticket", "assign 1 me", user="alice")
    await ws.wait_for_message("general", contains="gave TKT-1")
    await new_ticket(slack, ws, "Free quick win impact=high effort=low", number=2, user="bob")
    await slack.app_home_opened("alice")
    home = await ws.wait_for_view(user="alice", kind="home")
    text = ws.message_text({"blocks": home.blocks})
    assert "INC-1" in text and "Button is misaligned" in text
    assert "DiskFull" in text and "On call now: <@U0" in text
    yours = text.split("Your tickets")[1].split("Quick Wins not yet started")[0]
    assert "Mine to do" in yours and "Free quick win" not in yours
    assert "Free quick win" in text.split("Quick Wins not yet started")[1]
    await slack.slash("/ticket", "start 2", user="bob")
    await ws.wait_for_message("general", contains="started TKT-2")
    await click_in_home(slack, home, "home_refresh")

    def refreshed() -> Any:
        quick_wins = ws.message_text({"blocks": home.blocks}).split("Quick Wins not yet started")[1]
        return home if "Free quick win" not in quick_wins else None

    await ws.wait_until(refreshed, timeout=5, describe=lambda: "the home tab still lists TKT-2")
    await click_in_home(slack, home, "ticket_open")
    form = await ws.wait_for_view(user="alice", callback_id="ticket_new")
    await slack.submit_view(
        form,
        {"ticket_title": "From home", "ticket_area": "other", "ticket_impact": "low", "ticket_effort": "low"},
    )
    dm, _ = ws.open_conversation(["alice"])
    await ws.wait_until(
        lambda: next((m for m in ws.history.get(dm.id, []) if "opened TKT-3" in m.text), None),
        timeout=5,
        describe=lambda: "no DM about TKT-3",
    )
