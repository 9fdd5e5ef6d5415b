"""Use cases: what opsbot does, called by handlers, jobs and the CLI."""
