"""Modal stacks and App Home views: open, push, update, publish and close."""

from __future__ import annotations

import time
from typing import Any

from sandbox.blockkit import normalize_blocks
from sandbox.errors import SlackError
from sandbox.records import View
from sandbox.state import WorkspaceState

MAX_MODAL_STACK = 3


class ViewsMixin(WorkspaceState):
    """Keep each user's modal stack and home tab, emitting an event per change."""

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{self.new_token(8)}"

    def _apply_payload(self, view: View, payload: dict[str, Any]) -> None:
        external_id = str(payload.get("external_id") or "")
        if external_id and any(v.external_id == external_id and v.id != view.id for v in self.views.values()):
            raise SlackError("duplicate_external_id")
        view.type = str(payload.get("type") or view.type)
        view.blocks = normalize_blocks(payload.get("blocks") or [], self.new_token)
        view.title = payload.get("title")
        view.submit = payload.get("submit")
        view.close = payload.get("close")
        view.callback_id = str(payload.get("callback_id") or "")
        view.private_metadata = str(payload.get("private_metadata") or "")
        view.external_id = external_id
        view.clear_on_close = bool(payload.get("clear_on_close", False))
        view.notify_on_close = bool(payload.get("notify_on_close", False))
        view.state = {"values": {}}
        view.hash = self._new_hash()

    def _create_view(self, user: str, payload: dict[str, Any], *, kind: str) -> View:
        view = View(id=self.new_id("V"), type=kind, user=user, hash="")
        self._apply_payload(view, payload)
        self.views[view.id] = view
        return view

    def open_modal(self, user: str, payload: dict[str, Any]) -> View:
        """Open a modal for `user`, replacing any modal stack they had."""
        for old_id in self.modal_stacks.get(user, []):
            self.views[old_id].closed = True
        view = self._create_view(user, payload, kind="modal")
        view.root_view_id = view.id
        self.modal_stacks[user] = [view.id]
        self.emit({"type": "view_opened", "user": user, "view": view.to_api()})
        return view

    def push_modal(self, user: str, payload: dict[str, Any]) -> View:
        """Push a modal on top of `user`'s open stack; at most three deep."""
        stack = self.modal_stacks.get(user) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        view = self._create_view(user, payload, kind="modal")
        view.root_view_id, view.previous_view_id = stack[0], stack[-1]
        stack.append(view.id)
        self.emit({"type": "view_pushed", "user": user, "view": view.to_api()})
        return view

    def find_view(self, *, view_id: str | None = None, external_id: str | None = None) -> View:
        """Find a view by id or external_id; raise `not_found`."""
        if view_id:
            return self.view(view_id)
        for view in self.views.values():
            if external_id and view.external_id == external_id:
                return view
        raise SlackError("not_found")

    def update_view(self, view: View, payload: dict[str, Any], *, expected_hash: str | None = None) -> View:
        """Replace a view's content; a stale `expected_hash` raises `hash_conflict`."""
        if expected_hash and expected_hash != view.hash:
            raise SlackError("hash_conflict")
        if view.closed:
            raise SlackError("not_found")
        self._apply_payload(view, payload)
        kind = "home_published" if view.type == "home" else "view_updated"
        self.emit({"type": kind, "user": view.user, "view": view.to_api()})
        return view

    def publish_home(self, user: str, payload: dict[str, Any], *, expected_hash: str | None = None) -> View:
        """Publish (create or replace) `user`'s App Home view."""
        existing = self.home_views.get(user)
        if existing:
            return self.update_view(self.views[existing], payload, expected_hash=expected_hash)
        view = self._create_view(user, payload, kind="home")
        self.home_views[user] = view.id
        self.emit({"type": "home_published", "user": user, "view": view.to_api()})
        return view

    def close_view(self, view: View, *, clear: bool = False) -> None:
        """Close `view` (and everything above it); `clear` closes the whole stack."""
        stack = self.modal_stacks.get(view.user, [])
        cut = 0 if clear or view.id not in stack else stack.index(view.id)
        for closed_id in stack[cut:]:
            self.views[closed_id].closed = True
            self.emit({"type": "view_closed", "user": view.user, "view_id": closed_id})
        self.modal_stacks[view.user] = stack[:cut]

    def open_views(self, user: str) -> list[View]:
        """Return `user`'s modal stack, bottom first."""
        return [self.views[v] for v in self.modal_stacks.get(self.user(user).id, [])]
