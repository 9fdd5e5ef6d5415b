"""Ticket rules: the impact × effort matrix, `/ticket` text parsing, and measured impact (before/after)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

HIGH_SCORE = 3  # scores of 3 and more count as high
LEVEL_WORDS = {"high": 5, "h": 5, "low": 1, "l": 1}
OPTION = re.compile(r"^([a-z_]+)=(.*)$", re.DOTALL)
OPTIONS = ("impact", "effort", "area", "metric", "team")
MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


class Quadrant(StrEnum):
    QUICK_WIN = "Quick Win"
    MAJOR_PROJECT = "Major Project"
    FILL_IN = "Fill-In"
    THANKLESS = "Thankless Task"


class Area(StrEnum):
    DATABASE = "database"
    API = "api"
    FRONTEND = "frontend"
    BACKGROUND_JOBS = "background jobs"
    INFRASTRUCTURE = "infrastructure"
    COST = "cost"
    OTHER = "other"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in progress"
    DONE = "done"
    DROPPED = "dropped"


class SourceKind(StrEnum):
    ALERT = "alert"
    INCIDENT = "incident"
    DIGEST = "digest"
    MANUAL = "manual"


ACTIVE = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
AREA_ALIASES = {
    "db": Area.DATABASE,
    "background": Area.BACKGROUND_JOBS,
    "background_jobs": Area.BACKGROUND_JOBS,
    "background-jobs": Area.BACKGROUND_JOBS,
    "jobs": Area.BACKGROUND_JOBS,
    "infra": Area.INFRASTRUCTURE,
    "fe": Area.FRONTEND,
}
LIST_FILTERS = {
    "quickwins": Quadrant.QUICK_WIN,
    "major": Quadrant.MAJOR_PROJECT,
    "fillins": Quadrant.FILL_IN,
    "thankless": Quadrant.THANKLESS,
}
LIST_WORDS = ("quickwins", "major", "fillins", "thankless", "open", "mine", "done", "all", "area=<a>")
TEAM_OPTION = "team="


def is_high(level: str) -> bool:
    """Tell whether an impact or effort ("high", "low" or a score 1–5) counts as high."""
    return level_score(level) >= HIGH_SCORE


def level_score(level: str) -> int:
    return LEVEL_WORDS.get(level) or int(level)


def quadrant(impact: str, effort: str) -> Quadrant:
    """Place a ticket on the matrix: high impact + low effort is a Quick Win, and so on."""
    high_impact, high_effort = is_high(impact), is_high(effort)
    if high_impact:
        return Quadrant.MAJOR_PROJECT if high_effort else Quadrant.QUICK_WIN
    return Quadrant.THANKLESS if high_effort else Quadrant.FILL_IN


def parse_level(word: str, *, name: str) -> str:
    """Normalise "high"/"low"/"h"/"l" or a score 1–5; ValueError says what is allowed."""
    text = word.strip().lower()
    if text in LEVEL_WORDS:
        return "high" if LEVEL_WORDS[text] >= HIGH_SCORE else "low"
    if text.isdigit() and 1 <= int(text) <= 5:
        return text
    raise ValueError(f"{name} must be `high`, `low` or a score from 1 to 5, not `{word}`.")


def parse_area(word: str) -> Area:
    """An area by name or common alias; ValueError lists the valid ones."""
    text = word.strip().lower().replace("_", " ")
    for area in Area:
        if text == area.value:
            return area
    found = AREA_ALIASES.get(word.strip().lower())
    if found is None:
        valid = ", ".join(f"`{a.value.replace(' ', '_')}`" for a in Area)
        raise ValueError(f"Unknown area `{word}`; use one of {valid}.")
    return found


@dataclass(frozen=True)
class NewTicket:
    title: str
    impact: str = "low"
    effort: str = "low"
    area: Area = Area.OTHER
    metric: str | None = None
    description: str = ""
    team: str | None = None  # the handle as typed or chosen; the service checks it and picks one if None

    @property
    def quadrant(self) -> Quadrant:
        return quadrant(self.impact, self.effort)


@dataclass(frozen=True)
class TicketFilter:
    """What `/ticket list` shows; every field narrows the list."""

    quadrant: Quadrant | None = None
    statuses: tuple[TicketStatus, ...] = ACTIVE
    owner: str | None = None
    area: Area | None = None
    team: str | None = None  # a handle as typed (`team=payments`); None: every team
    label: str = "Active tickets"


@dataclass(frozen=True)
class TicketCommand:
    """One parsed `/ticket` subcommand."""

    action: str
    number: int | None = None
    new: NewTicket | None = None
    filter: TicketFilter | None = None
    user: str | None = None
    text: str = ""
    form: bool = False  # `new` without anything: the new-ticket form asks for it


def parse_ticket_command(subcommand: str, args: Sequence[str], *, user_id: str) -> TicketCommand:
    """Turn `/ticket <subcommand> <args>` into a command; ValueError carries the message for the user.

    `new` alone asks for the form; with options but no title it says so (the form would drop them)."""
    if subcommand == "new":
        return TicketCommand("new", new=parse_new(args)) if args else TicketCommand("new", form=True)
    if subcommand == "list":
        return TicketCommand("list", filter=parse_filter(args, user_id=user_id))
    if subcommand in ("matrix", "registry"):
        return TicketCommand(subcommand)
    number = _number(subcommand, args)
    rest = " ".join(args[1:]).strip()
    if subcommand == "assign":
        return TicketCommand("assign", number=number, user=_user(args[1:], user_id=user_id))
    if subcommand == "drop" and not rest:
        raise ValueError("Say why: `/ticket drop <n> <reason>`.")
    if subcommand == "team" and not rest:
        raise ValueError("Name the team: `/ticket team <n> <team>`.")
    if subcommand in ("show", "start", "done", "drop", "team"):
        return TicketCommand(subcommand, number=number, text=rest)
    raise ValueError(f"`/ticket {subcommand}` is not a /ticket command.")


def parse_new(args: Sequence[str]) -> NewTicket:
    """`<title words> [impact=..] [effort=..] [area=..] [metric=..] [team=..]` in any order; the title may be
    quoted."""
    options: dict[str, str] = {}
    words: list[str] = []
    for arg in args:
        found = OPTION.match(arg)
        if found and found.group(1) in OPTIONS:
            options[found.group(1)] = found.group(2).strip()
        elif found:
            raise ValueError(
                f"Unknown option `{found.group(1)}=`; use {', '.join(f'`{o}=`' for o in OPTIONS)}."
            )
        else:
            words.append(arg)
    title = " ".join(words).strip()
    if not title:
        raise ValueError(
            'Give the ticket a title: `/ticket new "Add index on orders.user_id" impact=high effort=low` '
            "(or `/ticket new` alone for the form)."
        )
    if len(title) > 200:
        raise ValueError("Keep the title under 200 characters; put details in the form's description.")
    metric = options.get("metric") or None
    return NewTicket(
        title=title,
        impact=parse_level(options.get("impact", "low"), name="impact"),
        effort=parse_level(options.get("effort", "low"), name="effort"),
        area=parse_area(options["area"]) if "area" in options else Area.OTHER,
        metric=metric,
        team=options.get("team") or None,
    )


def parse_filter(args: Sequence[str], *, user_id: str) -> TicketFilter:
    """`list [quickwins|major|fillins|thankless|open|mine|done|all|area=<a>] [team=<t>]`."""
    teams = [arg for arg in args if arg.lower().startswith(TEAM_OPTION)]
    words = [arg for arg in args if not arg.lower().startswith(TEAM_OPTION)]
    if len(teams) > 1:
        raise ValueError("Name one team: `/ticket list [filter] team=<t>`.")
    team = teams[0][len(TEAM_OPTION) :].strip().lower() if teams else None
    if teams and not team:
        raise ValueError("Name the team after `team=`, e.g. `/ticket list team=payments`.")
    found = _filter(words, user_id=user_id)
    if team is None:
        return found
    return replace(found, team=team, label=f"{found.label} of team {team}")


def _filter(words: Sequence[str], *, user_id: str) -> TicketFilter:
    if not words:
        return TicketFilter()
    if len(words) > 1:
        raise ValueError(f"Use one filter: {' | '.join(LIST_WORDS)}, and `team=<t>` if you like.")
    word = words[0].lower()
    if word in LIST_FILTERS:
        return TicketFilter(quadrant=LIST_FILTERS[word], label=f"{LIST_FILTERS[word].value}s")
    if word == "open":
        return TicketFilter(label="Open tickets")
    if word == "mine":
        return TicketFilter(owner=user_id, label="Your tickets")
    if word == "done":
        return TicketFilter(statuses=(TicketStatus.DONE,), label="Done tickets")
    if word == "all":
        return TicketFilter(statuses=tuple(TicketStatus), label="All tickets")
    if word.startswith("area="):
        area = parse_area(word.removeprefix("area="))
        return TicketFilter(area=area, label=f"Tickets in {area.value}")
    raise ValueError(f"Unknown filter `{words[0]}`; use one of {' | '.join(LIST_WORDS)}.")


def parse_mention(text: str) -> str | None:
    """The user id of a Slack mention `<@U123|name>`, or None."""
    found = MENTION.match(text.strip())
    return found.group(1) if found else None


def _number(subcommand: str, args: Sequence[str]) -> int:
    first = args[0].lstrip("#").upper().removeprefix("TKT-") if args else ""
    if not first.isdigit():
        raise ValueError(
            f"Give the ticket number: `/ticket {subcommand} <n>`, e.g. `/ticket {subcommand} 3`."
        )
    return int(first)


def _user(args: Sequence[str], *, user_id: str) -> str:
    if len(args) == 1 and args[0].lower() == "me":
        return user_id
    found = parse_mention(args[0]) if len(args) == 1 else None
    if found is None:
        raise ValueError("Name one person: `/ticket assign <n> @user`.")
    return found


class Verdict(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    """How a metric moved between the baseline and the after-measurement."""

    before: float
    after: float
    percent: float | None
    verdict: Verdict


def change(before: float, after: float, *, lower_is_better: bool) -> Change:
    """The change in percent of the baseline, judged by the metric's direction."""
    percent = None if before == 0 else (after - before) / abs(before) * 100
    if after == before:
        verdict = Verdict.UNCHANGED
    elif (after < before) == lower_is_better:
        verdict = Verdict.BETTER
    else:
        verdict = Verdict.WORSE
    return Change(before=before, after=after, percent=percent, verdict=verdict)


@dataclass(frozen=True)
class Impact:
    """A ticket's measured impact: baseline, after-measurement (maybe still running) and the change."""

    metric: str
    metric_title: str
    unit: str
    lower_is_better: bool
    before: float | None
    after: float | None
    after_final: bool
    change: Change | None


@dataclass(frozen=True)
class RegistryEntry:
    """A done ticket and what it changed (what the digests list)."""

    number: int
    title: str
    area: str
    quadrant: str
    owner: str | None
    done_at: datetime
    impact: Impact | None
