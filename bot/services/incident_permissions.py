"""Who may run the sensitive incident actions (declare or raise to SEV1/SEV2, resolve), per the config."""

from __future__ import annotations

from bot.deps import Deps
from bot.services.permissions import ensure_allowed


async def may_declare(deps: Deps, *, user_id: str, level: int) -> None:
    """Raise Forbidden unless `user_id` may declare (or raise an incident to) `level`."""
    permissions = deps.settings.file.incidents.permissions
    allowed = {1: permissions.declare_sev1, 2: permissions.declare_sev2}.get(level)
    if allowed is not None:
        await ensure_allowed(deps, user_id=user_id, allowed=allowed, doing=f"declare SEV{level} incidents")


async def may_resolve(deps: Deps, *, user_id: str) -> None:
    """Raise Forbidden unless `user_id` may resolve incidents."""
    allowed = deps.settings.file.incidents.permissions.resolve
    await ensure_allowed(deps, user_id=user_id, allowed=allowed, doing="resolve incidents")
