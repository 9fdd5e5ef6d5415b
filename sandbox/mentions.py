"""Who a message would notify, read the way Slack reads it, so tests can assert "no broadcast".

Slack notifies for `<!here>`, `<!channel>`, `<!everyone>` (a broadcast), `<!subteam^ID>` (a user group) and
`<@U…>` (a person) in a message's `text` (what notifications show), in every mrkdwn text of its blocks and
attachments, and in rich_text broadcast/user/usergroup elements. Plain `@here` notifies only when the poster
asked Slack to link names (`link_names` or `parse=full`). plain_text objects are never parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_SEQUENCE = re.compile(r"<([!@])([^<>|]+)(?:\|[^<>]*)?>")
_PLAIN_BROADCAST = re.compile(r"(?<![\w@])@(here|channel|everyone)\b")
BROADCASTS = frozenset({"here", "channel", "everyone"})
_ATTACHMENT_TEXTS = ("text", "pretext", "fallback", "title", "footer", "author_name")


def mentions(
    text: str, blocks: list[dict[str, Any]] | None, attachments: list[dict[str, Any]] | None, *, linked: bool
) -> list[str]:
    """Every notification the message carries: `here`/`channel`/`everyone`, `subteam^S…` or `@U…`."""
    found: list[str] = []
    for piece in _texts(text, blocks or [], attachments or []):
        found += _in_text(piece, linked=linked)
    found += _rich_text(blocks or [])
    return list(dict.fromkeys(found))


def is_broadcast(mention: str) -> bool:
    """Tell whether a mention notifies a whole channel or a user group (not one person)."""
    return mention in BROADCASTS or mention.startswith("subteam^")


def _in_text(text: str, *, linked: bool) -> list[str]:
    found = []
    for kind, target in _SEQUENCE.findall(text):
        if kind == "@" and target[:1] in "UW":
            found.append(f"@{target}")
        elif kind == "!":
            name = target.split("^", 1)[0]
            if name in BROADCASTS:
                found.append(name)
            elif name == "subteam" and "^" in target:
                found.append(target)
    if linked:
        found += _PLAIN_BROADCAST.findall(text)
    return found


def _texts(text: str, blocks: list[Any], attachments: list[Any]) -> Iterator[str]:
    yield text
    yield from _mrkdwn(blocks)
    for attachment in attachments:
        if isinstance(attachment, dict):
            yield from (str(attachment.get(key) or "") for key in _ATTACHMENT_TEXTS)
            for item in attachment.get("fields") or []:
                if isinstance(item, dict):
                    yield str(item.get("value") or "")
            yield from _mrkdwn(attachment.get("blocks") or [])


def _mrkdwn(node: Any) -> Iterator[str]:
    """Every mrkdwn text object's text, however deeply nested."""
    if isinstance(node, list):
        for item in node:
            yield from _mrkdwn(item)
    elif isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _mrkdwn(value)


def _rich_text(node: Any) -> list[str]:
    """Broadcast, user and usergroup elements of rich_text blocks."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += _rich_text(item)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind == "broadcast" and node.get("range") in BROADCASTS:
            found.append(str(node["range"]))
        elif kind == "usergroup" and node.get("usergroup_id"):
            found.append(f"subteam^{node['usergroup_id']}")
        elif kind == "user" and node.get("user_id"):
            found.append(f"@{node['user_id']}")
        for value in node.values():
            if isinstance(value, (dict, list)):
                found += _rich_text(value)
    return found
