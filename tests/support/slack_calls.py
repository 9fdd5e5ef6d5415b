"""Which Web API calls opsbot makes: the checked list behind manifest.yml's scopes, and how runs record them.

`OPSBOT_CALLS` lists every (method, context) opsbot calls, `context` being the conversation kinds the call
touches as `sandbox.scopes.call_context` names them. tests/test_manifest.py maps the list through
`sandbox.scopes.scopes_for` (the one table) and compares the result with manifest.yml both ways. The list
is kept honest by the sandbox fixture: every call opsbot makes in any test must be on it (checked when the
test's sandbox closes), and a run of the whole end-to-end tier fails if an entry was never made
(`check_unused` at session end, across xdist workers through one JSON file per process).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from sandbox import Workspace
from sandbox.scopes import METHODS, OUTSIDER

Call = tuple[str, str]

OPSBOT_CALLS: frozenset[Call] = frozenset(
    {
        ("auth.test", ""),  # Bolt, at start; and who created a taken incident channel name
        ("chat.postMessage", ""),
        ("chat.update", ""),
        ("chat.postEphemeral", ""),
        ("chat.getPermalink", ""),
        ("conversations.list", "private_channel,public_channel"),  # channel names -> IDs, creators
        ("conversations.join", ""),  # a channel opsbot posts to but was never invited into
        ("conversations.create", "public_channel"),  # an incident's channel
        ("conversations.invite", "public_channel"),
        ("conversations.open", "im"),  # escalation DMs
        ("conversations.history", "public_channel"),  # a retried post looks for its marker first
        ("conversations.history", "im"),  # ... in a DM too
        ("conversations.history", "private_channel"),  # ... and in a private alert channel
        ("conversations.replies", "public_channel"),
        ("conversations.info", "public_channel"),  # App Home: a public channel's items are for everyone
        ("conversations.info", "private_channel"),  # ... a private one's only for its members:
        ("conversations.members", "private_channel"),
        ("conversations.members", "public_channel"),  # alerts.permissions.channel_members_only on a click
        ("pins.add", ""),
        ("usergroups.users.list", ""),
        ("usergroups.list", ""),  # opsbot check-config: the user groups the configuration names exist
        ("users.info", ""),  # ... and so do its users
        ("users.profile.get", ""),  # an SMS page's number when paging.sms.phones has none
        ("views.open", ""),
        ("views.publish", ""),
        ("files.getUploadURLExternal", ""),
        ("files.completeUploadExternal", ""),
    }
)

RECORD_NAME = "opsbot-slack-calls"


def calls_made(ws: Workspace) -> set[Call]:
    """The (method, context) pairs called against this workspace's Web API: every call past authentication
    and rate limits, refused for a missing scope or not. Tests never call the Web API themselves (they
    play Slack toward opsbot and read the workspace), so each of these calls is opsbot's."""
    made = set()
    for call in ws.calls:
        error = call.response.get("error")
        if call.method not in METHODS or error in ("ratelimited", "not_authed", "invalid_auth"):
            continue
        # Refused with not_in_channel, a post into a channel opsbot is not in needed no chat:write.public:
        # opsbot joins and posts again (bot/slack_gateway.py).
        context = "" if error == "not_in_channel" and call.context == OUTSIDER else call.context
        made.add((call.method, context))
    return made


def unlisted(calls: Iterable[Call]) -> list[Call]:
    """Calls that are missing from OPSBOT_CALLS."""
    return sorted(set(calls) - OPSBOT_CALLS)


def write_record(directory: Path, worker: str, calls: set[Call], e2e_files: set[str]) -> None:
    """Save what one pytest process saw, for the session's end."""
    path = directory / f"{RECORD_NAME}-{worker}.json"
    path.write_text(json.dumps({"calls": sorted(calls), "e2e_files": sorted(e2e_files)}))


def read_records(directory: Path) -> tuple[set[Call], set[str]]:
    """Merge every process's record under `directory`."""
    calls: set[Call] = set()
    files: set[str] = set()
    for path in directory.rglob(f"{RECORD_NAME}-*.json"):
        record = json.loads(path.read_text())
        calls |= {(method, context) for method, context in record["calls"]}
        files |= set(record["e2e_files"])
    return calls, files


def unused_entries(directory: Path, e2e_modules: set[str]) -> list[Call] | None:
    """Entries of OPSBOT_CALLS no process under `directory` saw opsbot make; None when the records do not
    cover every e2e module (a partial run cannot tell)."""
    seen, ran = read_records(directory)
    if ran != e2e_modules:
        return None
    return sorted(OPSBOT_CALLS - seen)
