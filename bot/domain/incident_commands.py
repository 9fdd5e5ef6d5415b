"""Parse `/incident` subcommands into values; wrong input raises ValueError with the right syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.incidents import Role, parse_level

NUMBER = re.compile(r"^#?(?:inc-?)?(\d+)$", re.IGNORECASE)
USER = re.compile(r"^(?:<@)?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")
LIST_SCOPES = ("open", "all")
TEAM_OPTION = "team="
TEXT_WANTED = {"update": "the update", "resolve": "a short summary", "action": "the follow-up to do"}
FORMS = ("update", "resolve")  # the text-wanting subcommands with a form (action items have none)


@dataclass(frozen=True)
class IncidentCommand:
    """One parsed subcommand; `number` is None when the command is meant for the current channel's."""

    action: str
    number: int | None = None
    level: int | None = None
    text: str = ""
    role: Role | None = None
    user: str | None = None
    scope: str = "open"
    team: str | None = None  # the team a user named (`team=payments`, or a bare name after `list`)
    form: bool = False  # the text is missing and a form asks for it (the declaration, update or resolve form)


def parse_incident_command(
    subcommand: str, args: tuple[str, ...], rest: str, *, in_incident: bool = False
) -> IncidentCommand:
    """Split `args` of `subcommand` into an IncidentCommand.

    Inside an incident's channel a bare number in free text is text (`update 3 pods restarted`); `#12`
    still names an incident. Without their text, `declare`, `update` and `resolve` ask for the form
    (`update` and `resolve` only when they know the incident: a number, or the incident's own channel).
    """
    if subcommand == "declare":
        return _declare(args)
    if subcommand == "list":
        return _list(args)
    number, args, rest = _number(subcommand, args, rest, in_incident=in_incident)
    if subcommand in ("status", "ack", "reopen", "postmortem"):
        if args:
            raise ValueError(f"Use `/incident {subcommand} [number]`.")
        return IncidentCommand(subcommand, number=number)
    if subcommand in TEXT_WANTED:
        if not rest and subcommand in FORMS and (number is not None or in_incident):
            return IncidentCommand(subcommand, number=number, form=True)
        if not rest:
            raise ValueError(_text_usage(subcommand))
        return IncidentCommand(subcommand, number=number, text=rest)
    if subcommand == "sev":
        return _sev(number, args, rest)
    if subcommand == "assign":
        return _assign(number, args)
    raise ValueError(f"`/incident {subcommand}` is not an /incident command.")


def _text_usage(subcommand: str) -> str:
    usage = f"Use `/incident {subcommand} [number] <text>` with {TEXT_WANTED[subcommand]}."
    if subcommand in FORMS:
        return f"{usage} Without the text, in the incident's channel or with its number, it opens the form."
    return usage


def _declare(args: tuple[str, ...]) -> IncidentCommand:
    usage = (
        "Use `/incident declare <sev1-4> <title>` (optionally with `team=<team>`), "
        "e.g. `/incident declare sev2 Checkout is slow`; without a title it opens the form."
    )
    named = [arg for arg in args if arg.lower().startswith(TEAM_OPTION)]
    words = [arg for arg in args if not arg.lower().startswith(TEAM_OPTION)]
    if len(named) > 1:
        raise ValueError(usage)
    team = _team(named[0]) if named else None
    if not words or (len(words) == 1 and _is_level(words[0])):  # no title: the form, pre-filled
        level = parse_level(words[0]) if words else None
        return IncidentCommand("declare", level=level, team=team, form=True)
    if len(words) < 2:
        raise ValueError(usage)
    return IncidentCommand(
        "declare", level=parse_level(words[0]), text=" ".join(words[1:]).strip(), team=team
    )


def _list(args: tuple[str, ...]) -> IncidentCommand:
    """`list [open|all] [team]`, in either order; the team bare or as `team=<team>`."""
    usage = "Use `/incident list [open|all] [team]`."
    scopes = [arg.lower() for arg in args if arg.lower() in LIST_SCOPES]
    teams = [_team(arg) for arg in args if arg.lower() not in LIST_SCOPES]
    if len(scopes) > 1 or len(teams) > 1:
        raise ValueError(usage)
    return IncidentCommand("list", scope=scopes[0] if scopes else "open", team=teams[0] if teams else None)


def _team(word: str) -> str:
    """The team handle in `team=payments` or `payments` (whether it exists is the service's to say)."""
    handle = word[len(TEAM_OPTION) :] if word.lower().startswith(TEAM_OPTION) else word
    if not handle:
        raise ValueError("Name the team after `team=`, e.g. `team=payments`.")
    return handle.lower()


def _number(
    subcommand: str, args: tuple[str, ...], rest: str, *, in_incident: bool
) -> tuple[int | None, tuple[str, ...], str]:
    """Take a leading incident number (`12`, `#12`, `INC-12`); a `sev` level is not mistaken for one."""
    if not args:
        return None, args, rest
    match = NUMBER.match(args[0])
    if match is None:
        return None, args, rest
    marked = not args[0].isdigit()
    free_text = subcommand in ("update", "resolve", "sev")
    if free_text and in_incident and not marked:
        return None, args, rest
    if subcommand == "sev" and (len(args) == 1 or not _is_level(args[1])):
        return None, args, rest
    remaining = rest[len(args[0]) :].strip() if rest.startswith(args[0]) else " ".join(args[1:])
    return int(match.group(1)), args[1:], remaining


def _is_level(word: str) -> bool:
    try:
        parse_level(word)
    except ValueError:
        return False
    return True


def _sev(number: int | None, args: tuple[str, ...], rest: str) -> IncidentCommand:
    if not args:
        raise ValueError("Use `/incident sev [number] <1-4> [reason]`.")
    level = parse_level(args[0])
    reason = rest.split(None, 1)[1].strip() if len(rest.split(None, 1)) > 1 else ""
    return IncidentCommand("sev", number=number, level=level, text=reason)


def _assign(number: int | None, args: tuple[str, ...]) -> IncidentCommand:
    usage = "Use `/incident assign [number] commander|comms|scribe @user`."
    if len(args) != 2:
        raise ValueError(usage)
    try:
        role = Role(args[0].lower())
    except ValueError:
        raise ValueError(usage) from None
    match = USER.match(args[1])
    if match is None:
        raise ValueError(f"{args[1]!r} is not a Slack user mention. {usage}")
    return IncidentCommand("assign", number=number, role=role, user=match.group(1))
