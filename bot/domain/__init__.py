"""Pure business rules: standard library only, no I/O, unit-tested without a server."""
