"""manifest.yml must be an app manifest Slack accepts, list exactly the commands opsbot answers, and ask for
exactly the scopes opsbot needs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from handlers import registered_commands
from sandbox.scopes import COMMANDS_SCOPE, EVENTS, scopes_for
from tests.support.slack_calls import OPSBOT_CALLS, unused_entries, write_record

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "manifest.yml").read_text()))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    assert SCHEMA.exists(), f"Slack's manifest schema is expected at {SCHEMA}"
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


def test_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any], validator: Any) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_the_schema_check_can_fail(manifest: dict[str, Any], validator: Any) -> None:
    broken = copy.deepcopy(manifest)
    broken["features"]["slash_commands"][0]["command"] = "metrics without slash"
    broken["display_information"].pop("name")
    assert len(list(validator.iter_errors(broken))) >= 2


def test_manifest_lists_exactly_the_registered_commands(manifest: dict[str, Any]) -> None:
    listed = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert listed == registered_commands() == {"/metrics", "/incident", "/ticket", "/oncall"}


def test_every_request_url_ends_in_slack_events(manifest: dict[str, Any]) -> None:
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"]]
    urls += [manifest["settings"]["interactivity"]["request_url"]]
    assert all(url.endswith("/slack/events") for url in urls)


def test_manifest_subscribes_to_the_events_opsbot_handles(manifest: dict[str, Any]) -> None:
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "reaction_added", "member_joined_channel"} <= events
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def scope_gaps(manifest: dict[str, Any], calls: frozenset[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(scopes opsbot needs that the manifest lacks, scopes the manifest asks for that nothing needs).

    Needs come from the one table in sandbox/scopes.py: each Web API call opsbot makes (OPSBOT_CALLS,
    kept complete by every end-to-end test's sandbox), each event it subscribes to, and slash commands."""
    needed = {scope for method, context in calls for scope in scopes_for(method, context)}
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed |= set(EVENTS[event])
    if manifest["features"].get("slash_commands"):
        needed.add(COMMANDS_SCOPE)
    asked = set(manifest["oauth_config"]["scopes"]["bot"])
    return sorted(needed - asked), sorted(asked - needed)


def test_manifest_asks_for_exactly_the_scopes_opsbot_needs(manifest: dict[str, Any]) -> None:
    missing, unused = scope_gaps(manifest, OPSBOT_CALLS)
    assert missing == [], "opsbot would get missing_scope on Slack"
    assert unused == [], "the manifest asks for scopes opsbot never uses"


def test_the_scope_check_can_fail(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["oauth_config"]["scopes"]["bot"] = [s for s in manifest["oauth_config"]["scopes"]["bot"]]
    broken["oauth_config"]["scopes"]["bot"].remove("chat:write")
    broken["oauth_config"]["scopes"]["bot"].append("mpim:history")
    assert scope_gaps(broken, OPSBOT_CALLS) == (["chat:write"], ["mpim:history"])
    assert scope_gaps(manifest, OPSBOT_CALLS | {("conversations.history", "mpim")})[0] == ["mpim:history"]


def test_a_full_e2e_run_judges_unused_entries_and_a_partial_one_does_not(tmp_path: Path) -> None:
    everything = set(OPSBOT_CALLS)
    one = sorted(everything)[0]
    modules = {"test_a.py", "test_b.py"}
    (tmp_path / "gw0").mkdir()
    write_record(tmp_path / "gw0", "gw0", everything - {one}, {"test_a.py"})
    assert unused_entries(tmp_path, modules) is None, "test_b.py has not run: nothing to judge"
    write_record(tmp_path, "gw1", set(), {"test_b.py"})
    assert unused_entries(tmp_path, modules) == [one]
    write_record(tmp_path, "gw2", {one}, set())
    assert unused_entries(tmp_path, modules) == []
