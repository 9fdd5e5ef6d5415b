"""`opsbot check-config`: what is wrong with the teams' configuration beyond what loading it refuses.

Overlapping matchers and team names that are also metric words are found in the file alone; users, user
groups and channels the file names are looked up in Slack when SLACK_BOT_TOKEN is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from pydantic import BaseModel
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import FileConfig, Settings
from bot.domain.kpis import known_names
from bot.domain.permissions import is_usergroup
from bot.domain.teams import Overlap, Verdict, overlaps, word_clashes
from bot.services.metric_sources import every_kpi
from bot.slack import ChannelDirectory, create_web_client, error_code
from bot.telemetry import Telemetry

SINGLE_ID_FIELDS = frozenset({"user", "usergroup"})
SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")  # users (U…, W… on Enterprise Grid) and user groups (S…)


class Severity(StrEnum):
    ERROR = "error"  # opsbot would fail at it (page nobody, post nowhere): exit 1
    WARNING = "warning"  # legal but probably not meant


@dataclass(frozen=True)
class Problem:
    severity: Severity
    where: str  # the config key, e.g. teams.payments.oncall.members
    text: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.text}"


@dataclass(frozen=True)
class Named:
    """A user, user group or channel the file names, and where."""

    where: str
    value: str


@dataclass(frozen=True)
class CheckReport:
    problems: tuple[Problem, ...]
    slack_checked: bool

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)

    def text(self) -> str:
        """The report as printed after the effective configuration."""
        lines = [] if self.slack_checked else ["Slack check skipped: SLACK_BOT_TOKEN is not set."]
        if self.problems:
            lines += ["Problems:", *(f"  {problem}" for problem in self.problems)]
        else:
            lines.append("No problems found.")
        return "\n".join(lines)


async def check(settings: Settings) -> CheckReport:
    """Every problem the configuration has; Slack is asked only when a bot token is set."""
    problems = team_problems(settings)
    token = settings.secrets.slack_bot_token
    if token is None:
        return CheckReport(tuple(problems), slack_checked=False)
    client = create_web_client(
        token=token.get_secret_value(), base_url=settings.secrets.slack_api_url, telemetry=Telemetry()
    )
    problems += await slack_problems(client, named_users(settings.file), named_channels(settings.file))
    return CheckReport(tuple(problems), slack_checked=True)


def team_problems(settings: Settings) -> list[Problem]:
    """Teams whose matchers overlap, and team names `/metrics` also reads as a metric."""
    found = [_overlap_problem(overlap) for overlap in overlaps(settings.teams)]
    words = known_names(every_kpi(settings))
    for handle in word_clashes([team.handle for team in settings.teams], words):
        found.append(
            Problem(
                Severity.WARNING,
                _team_key(settings, handle),
                f"the team name {handle!r} is also a metric name: `/metrics {handle}` shows the team's "
                f"overview, its KPI is reached as `/metrics <team> {handle}`",
            )
        )
    return found


def _overlap_problem(overlap: Overlap) -> Problem:
    where = f"teams.{overlap.second}.match"
    if overlap.shadowed:
        return Problem(
            Severity.WARNING,
            where,
            f"never owns an alert: teams.{overlap.first} comes first and matches every alert it matches",
        )
    if overlap.verdict is Verdict.OVERLAP:
        labels = ", ".join(f'{k}="{v}"' for k, v in sorted((overlap.example or {}).items()))
        example = f" (e.g. an alert with {labels})" if labels else " (e.g. an alert without those labels)"
        return Problem(
            Severity.WARNING, where, f"overlaps teams.{overlap.first}{example} — {overlap.first} wins"
        )
    return Problem(Severity.WARNING, where, f"may overlap teams.{overlap.first} — {overlap.first} wins")


def _team_key(settings: Settings, handle: str) -> str:
    return "team.handle" if handle == settings.default_team.handle else f"teams.{handle}.name"


def named_users(file: FileConfig) -> list[Named]:
    """Every Slack user and user group ID the file names: rotations (their layers too), escalation steps,
    permission lists, SEV levels' invitations, and paging.sms.phones."""
    sections: list[tuple[str, BaseModel | Sequence[BaseModel] | None]] = [
        ("oncall", file.oncall),
        ("alerts.escalation", file.alerts.escalation),
        ("alerts.permissions", file.alerts.permissions),
        ("incidents.permissions", file.incidents.permissions),
        *((f"incidents.levels.{sev}.invite", level.invite) for sev, level in file.incidents.levels or ()),
        ("tickets.permissions", file.tickets.permissions),
        ("metrics.permissions", file.metrics.permissions),
    ]
    for spec in file.teams:
        where = f"teams.{spec.name}"
        sections += [
            (f"{where}.oncall", spec.oncall),
            (f"{where}.escalation", spec.escalation),
            (f"{where}.permissions", spec.permissions),
        ]
    found = [Named(where, value) for path, section in sections for where, value in _strings(path, section)]
    found += [Named("paging.sms.phones", user) for user in file.paging.sms.phones]
    return [named for named in found if SLACK_ID.match(named.value)]


def named_channels(file: FileConfig) -> list[Named]:
    """Every channel name the file names: the channels of each team, routes, SEV levels' announcements and
    the older digests.teams."""
    found = [Named(f"channels.{key}", name) for key, name in file.channels.model_dump().items()]
    for spec in file.teams:
        own = spec.channels.model_dump(exclude_none=True)
        found += [Named(f"teams.{spec.name}.channels.{key}", name) for key, name in own.items()]
    found += [
        Named(f"alerts.routes[{i}].channel", route.channel) for i, route in enumerate(file.alerts.routes)
    ]
    if file.incidents.levels is not None:
        for sev, level in file.incidents.levels:
            found += [Named(f"incidents.levels.{sev}.announce", name) for name in level.announce]
    for i, team in enumerate(file.digests.teams or ()):
        found.append(Named(f"digests.teams[{i}].channel", team.channel))
        if team.info_channel:
            found.append(Named(f"digests.teams[{i}].info_channel", team.info_channel))
    return found


def _strings(path: str, value: Any) -> Iterator[tuple[str, str]]:
    """The strings inside a section, each with its key; read field by field so that sections added later
    (a rotation's layers, say) are covered without naming them here."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(f"{path}.{name}", getattr(value, name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(f"{path}.{key}", item)
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield path, item  # lists of IDs: members, ids, permission lists, invited users
            else:
                yield from _strings(f"{path}[{i}]", item)
    elif isinstance(value, str) and path.rsplit(".", 1)[-1] in SINGLE_ID_FIELDS:
        yield path, value  # not every string: a time zone such as "UTC" looks like a user ID


async def slack_problems(
    client: AsyncWebClient, users: Sequence[Named], channels: Sequence[Named]
) -> list[Problem]:
    """An error for each user, user group or channel the workspace does not have, naming where it is set."""
    try:
        unknown = await _unknown_users(client, {n.value for n in users if not is_usergroup(n.value)})
        unknown |= await _unknown_groups(client, {n.value for n in users if is_usergroup(n.value)})
        missing = await _unknown_channels(client, {n.value for n in channels})
    except SlackApiError as error:
        return [Problem(Severity.ERROR, "SLACK_BOT_TOKEN", f"Slack refused the check ({error_code(error)})")]
    except (aiohttp.ClientError, TimeoutError) as error:
        failure = f"Slack did not answer ({type(error).__name__}); users and channels were not checked"
        return [Problem(Severity.ERROR, "SLACK_API_URL", failure)]
    found = [Problem(Severity.ERROR, n.where, unknown[n.value]) for n in users if n.value in unknown]
    return found + [
        Problem(Severity.ERROR, n.where, f"#{n.value} is not a channel of this workspace opsbot can see")
        for n in channels
        if n.value in missing
    ]


async def _unknown_users(client: AsyncWebClient, ids: set[str]) -> dict[str, str]:
    found = {}
    for user_id in sorted(ids):
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as error:
            if error_code(error) != "user_not_found":
                raise
            found[user_id] = f"{user_id} is not a user of this workspace"
            continue
        if user.get("deleted"):
            found[user_id] = f"{user_id} is deactivated"
    return found


async def _unknown_groups(client: AsyncWebClient, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    groups = (await client.usergroups_list()).get("usergroups") or []
    known = {group.get("id") for group in groups}
    return {group: f"{group} is not a user group of this workspace" for group in ids - known}


async def _unknown_channels(client: AsyncWebClient, names: set[str]) -> set[str]:
    if not names:
        return set()
    listed = await ChannelDirectory(client).listing()
    return names - set(listed)
