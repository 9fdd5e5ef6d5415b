"""views.* Web API methods: modals need a fresh trigger_id, home tabs a user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.blockkit import validate_view
from sandbox.common import Args, Handler
from sandbox.errors import SlackError, invalid_arguments

if TYPE_CHECKING:
    from sandbox.workspace import Workspace


def checked_view(args: Args, *, kind: str | None) -> dict[str, Any]:
    """Return the `view` argument after Slack's schema checks."""
    view = args.structure("view")
    if view is None:
        raise invalid_arguments("missing required field: view")
    if not isinstance(view, dict):
        raise invalid_arguments("must provide an object [json-pointer:/view]")
    errors = validate_view(view)
    if kind and view.get("type") != kind:
        errors.append(f"must be {kind} for this method [json-pointer:/view/type]")
    if errors:
        raise invalid_arguments(*errors)
    return view


def views_open(ws: Workspace, args: Args) -> dict[str, Any]:
    """Open a modal for the user behind a fresh trigger_id."""
    view = checked_view(args, kind="modal")
    trigger = ws.consume_trigger(args.text("trigger_id", required=True))
    return {"ok": True, "view": ws.open_modal(trigger.user, view).to_api()}


def views_push(ws: Workspace, args: Args) -> dict[str, Any]:
    """Push a modal onto the open stack of the user behind a fresh trigger_id."""
    view = checked_view(args, kind="modal")
    trigger = ws.consume_trigger(args.text("trigger_id", required=True))
    return {"ok": True, "view": ws.push_modal(trigger.user, view).to_api()}


def views_update(ws: Workspace, args: Args) -> dict[str, Any]:
    """Replace an open view identified by view_id or external_id, optionally guarded by hash."""
    if "view_id" not in args and "external_id" not in args:
        raise invalid_arguments("either view_id or external_id is required")
    target = ws.find_view(view_id=args.optional("view_id"), external_id=args.optional("external_id"))
    view = checked_view(args, kind=target.type)
    updated = ws.update_view(target, view, expected_hash=args.optional("hash"))
    return {"ok": True, "view": updated.to_api()}


def views_publish(ws: Workspace, args: Args) -> dict[str, Any]:
    """Publish a user's App Home tab."""
    user_id = args.text("user_id", required=True)
    if user_id not in ws.users:
        raise SlackError("user_not_found")
    view = checked_view(args, kind="home")
    return {"ok": True, "view": ws.publish_home(user_id, view, expected_hash=args.optional("hash")).to_api()}


METHODS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
