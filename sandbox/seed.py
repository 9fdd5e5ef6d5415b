"""The fixed cast of the sandbox workspace: people, groups and the usual ops channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.model import BOT_ID, BOT_USER_ID, Channel, User, Usergroup

if TYPE_CHECKING:
    from sandbox.state import WorkspaceState

HUMANS = (
    ("U0ALICE", "alice", "Alice Adams"),
    ("U0BOB", "bob", "Bob Brown"),
    ("U0CAROL", "carol", "Carol Clark"),
    ("U0DAVE", "dave", "Dave Davis"),
)
# Profile phones as people type them (opsbot reads them into E.164 for SMS pages): Dave's lacks the
# country code, so he cannot be texted until it is fixed. Numbers from the 555 01xx fiction range.
PHONES = {
    "U0ALICE": "+1 (555) 010-0001",
    "U0BOB": "+1 555 010 0002",
    "U0CAROL": "+1-555-010-0003",
    "U0DAVE": "555 010 0004",
}
BOT_CHANNELS = (
    "general",
    "critical-alerts",
    "ops-alerts",
    "ops-info",
    "ops-review",
    "incidents",
    "payments-oncall",
)
CREATED = 1700000000


def seed_workspace(ws: WorkspaceState) -> None:
    """Create the default users, user groups and channels."""
    for user_id, name, real_name in HUMANS:
        ws.users[user_id] = User(
            id=user_id, name=name, real_name=real_name, display_name=name,
            email=f"{name}@opsbot-sandbox.test", phone=PHONES[user_id],
        )  # fmt: skip
    ws.users[BOT_USER_ID] = User(
        id=BOT_USER_ID, name="opsbot", real_name="opsbot", is_bot=True, bot_id=BOT_ID
    )
    ws.usergroups["S0ONCALL"] = Usergroup(
        id="S0ONCALL", handle="oncall", name="On-call", users=["U0ALICE", "U0BOB"]
    )
    ws.usergroups["S0SRE"] = Usergroup(id="S0SRE", handle="sre", name="SRE", users=["U0CAROL", "U0DAVE"])
    humans = [user_id for user_id, _, _ in HUMANS]
    for name in BOT_CHANNELS:
        channel = Channel(
            id=ws.new_id("C"),
            name=name,
            is_general=name == "general",
            members=[BOT_USER_ID, *humans],
            creator="U0ALICE",
            created=CREATED,
        )
        ws.channels[channel.id] = channel
    random_channel = Channel(
        id=ws.new_id("C"), name="random", members=humans, creator="U0ALICE", created=CREATED
    )
    ws.channels[random_channel.id] = random_channel
