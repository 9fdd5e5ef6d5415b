"""Async clients for services opsbot talks to besides Slack."""
