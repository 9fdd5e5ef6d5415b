"""A local stand-in for Slack: Web API server, signed-request player and observable workspace state."""

from __future__ import annotations

from sandbox.acks import BotResponse
from sandbox.errors import SlackError
from sandbox.model import Channel, Ephemeral, Message, User
from sandbox.player import SignOverrides, SlackPlayer
from sandbox.records import ApiCall, File, View
from sandbox.server import RunningSandbox, create_sandbox_app, start_sandbox
from sandbox.state import DEFAULT_BOT_TOKEN
from sandbox.workspace import Workspace

__all__ = [
    "DEFAULT_BOT_TOKEN",
    "ApiCall",
    "BotResponse",
    "Channel",
    "Ephemeral",
    "File",
    "Message",
    "RunningSandbox",
    "SignOverrides",
    "SlackError",
    "SlackPlayer",
    "User",
    "View",
    "Workspace",
    "create_sandbox_app",
    "start_sandbox",
]
