"""opsbot: Slack ChatOps for teams running a live product."""
