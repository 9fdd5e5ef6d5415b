"""Outside text in Slack messages: the one rule for every string opsbot did not write itself.

Slack's mrkdwn (and a message's fallback `text`, which is what notifications show) reads `<…>` as control
sequences: `<!channel>`, `<!here>`, `<!everyone>` and `<!subteam^…>` notify whole channels and groups, `<@U…>`
pings a person, `<url|label>` is a link. Text from alerts, Prometheus or people goes through `untrusted` (or
`link` for a URL, `relayed` for a person's own words) so it can never form one. opsbot never sets
`link_names` or `parse=full`, so a plain `@here` stays plain text.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from bot.domain.commands import SLACK_ENTITY, unescape_slack

_CONTROL = re.compile(r"<([^<>]*)>")
_LINK_SCHEMES = ("http", "https")
# Characters that would end or split a `<url|label>` sequence (or a line) if left in a URL.
_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '<>|"` ')
# A person (`<@U…>`) or a channel (`<#C…>`) the author named: theirs to mention, never a broadcast.
_PERSON = re.compile(r"(?:@[UW]|#[CG])[A-Z0-9]{2,}(?:\|[^<>|]*)?")
_BROADCAST_WORDS = {"here", "channel", "everyone", "group"}


def untrusted(text: str) -> str:
    """Show outside text as written: &, < and > escaped, so it forms no mention, link or date."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def mention(user_id: str, *, otherwise: str = "someone") -> str:
    """opsbot's own mention of a stored Slack user ID; anything that is not one shows as `otherwise`."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else otherwise


def link(url: str, label: str = "") -> str:
    """A link to an http(s) URL with an escaped label; anything else (javascript:, slack://, mailto:, bare
    words) is shown as escaped text, never as a link."""
    shown = label or url
    if not is_web_url(url):
        return untrusted(f"{label} ({url})" if label and label != url else shown)
    target = quote(url.strip(), safe=_URL_SAFE).replace("&", "&amp;")
    return f"<{target}|{untrusted(shown)}>"


def is_web_url(url: str) -> bool:
    """Tell whether `url` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _LINK_SCHEMES and bool(parts.netloc)


def relayed(text: str) -> str:
    """A person's words relayed by opsbot: kept, but without broadcast powers.

    `<!here>`, `<!channel>` and `<!everyone>` become a plain `@here`, `<!subteam^S1|@ops>` becomes `@ops`,
    person and channel mentions stay (the author could write those themselves), http(s) links stay links,
    and anything else is shown as escaped text. Works on command text (Slack escaped &, < and >) and on
    modal input (not escaped) alike."""
    out: list[str] = []
    last = 0
    for match in _CONTROL.finditer(text):
        out.append(_plain_part(text[last : match.start()]))
        out.append(_control(match.group(1)))
        last = match.end()
    out.append(_plain_part(text[last:]))
    return "".join(out)


def _plain_part(text: str) -> str:
    """Escape &, < and > except where they are already one of Slack's three entities."""
    pieces = SLACK_ENTITY.split(text)
    entities = SLACK_ENTITY.findall(text)
    escaped = [untrusted(piece) for piece in pieces]
    return "".join(p + e for p, e in zip(escaped, [*entities, ""], strict=True))


def _control(inner: str) -> str:
    """One `<…>` sequence from a person, rendered without broadcast powers."""
    if _PERSON.fullmatch(inner):
        return f"<{inner}>"
    target, _, label = inner.partition("|")
    if target.startswith("!"):
        return untrusted(_special_word(target[1:], label))
    if is_web_url(target):
        return link(unescape_slack(target), unescape_slack(label))
    return untrusted(f"<{inner}>")


def _special_word(target: str, label: str) -> str:
    """What `<!…>` says, as words: `@here`, a group's `@handle`, a date's fallback."""
    name = target.split("^", 1)[0]
    if name in _BROADCAST_WORDS:
        return f"@{name}"
    if name == "subteam":
        return label if label.startswith("@") else f"@{label or 'group'}"
    return label or f"@{name}"
