"""The edge: one module per slash command, interaction and alert source, each with register(app)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import (
    alert_actions,
    app_home,
    incident_actions,
    incident_command,
    incident_events,
    metrics_command,
    oncall_command,
    review_actions,
    ticket_actions,
    ticket_command,
)

SLASH_COMMAND_MODULES = (metrics_command, incident_command, ticket_command, oncall_command)


def register_all(app: AsyncApp) -> None:
    """Register every listener opsbot has on `app`."""
    for module in SLASH_COMMAND_MODULES:
        module.register(app)
    alert_actions.register(app)
    incident_actions.register(app)
    incident_events.register(app)
    ticket_actions.register(app)
    review_actions.register(app)
    app_home.register(app)


def registered_commands() -> set[str]:
    """The slash commands opsbot answers (the manifest must list exactly these)."""
    return {module.USAGE.command for module in SLASH_COMMAND_MODULES}
