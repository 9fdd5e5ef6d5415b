"""Block Kit rendering: view models in, Slack message payloads out, limits enforced in one place."""
