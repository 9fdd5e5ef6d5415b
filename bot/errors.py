"""The errors opsbot raises on purpose; one error path renders them for users."""

from __future__ import annotations


class BotError(Exception):
    """Base of errors whose message is safe and useful to show to a user."""


class UsageError(BotError):
    """The user asked for something the command does not understand."""


class Forbidden(BotError):
    """The user may not do this."""


class NotFound(BotError):
    """The thing asked for does not exist."""


class UpstreamError(BotError):
    """A service opsbot depends on (Slack, Prometheus, the database) failed."""


class ConfigError(BotError):
    """The configuration is invalid; the message names the key and the problem."""
