"""files.* Web API methods plus the upload URL and file download routes they hand out."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from sandbox.api_chat import bot_channel
from sandbox.common import WORKSPACE_KEY, Args, Handler
from sandbox.errors import SlackError, invalid_arguments
from sandbox.model import BOT_USER_ID
from sandbox.records import File

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

_MIMETYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "log": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
    "zip": "application/zip",
    "gz": "application/gzip",
}


def guess_mimetype(name: str) -> str:
    """Guess a mimetype from the file extension without touching the system's mime database."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _MIMETYPES.get(extension, "application/octet-stream")


def get_upload_url(ws: Workspace, args: Args) -> dict[str, Any]:
    """Reserve a file id and hand out the URL its bytes must be posted to."""
    name = args.text("filename", required=True)
    length = args.number("length", default=0, high=1 << 30)
    if length <= 0:
        raise invalid_arguments("missing required field: length")
    file_id = ws.new_id("F")
    ws.files[file_id] = File(
        id=file_id,
        name=name,
        title=name,
        mimetype=guess_mimetype(name),
        user=BOT_USER_ID,
        url_private=f"{ws.base_url}/files/{file_id}/{name}",
        permalink=f"{ws.base_url}/files/{BOT_USER_ID}/{file_id}/{name}",
        size=length,
    )
    return {"ok": True, "upload_url": f"{ws.base_url}/upload/{file_id}", "file_id": file_id}


def complete_upload(ws: Workspace, args: Args) -> dict[str, Any]:
    """Finish uploads and share the files into a channel as one message."""
    entries = args.structure("files")
    if not isinstance(entries, list) or not entries:
        raise invalid_arguments("missing required field: files")
    files: list[File] = []
    for entry in entries:
        file = ws.files.get(str(entry.get("id") if isinstance(entry, dict) else ""))
        if file is None or not file.uploaded:
            raise SlackError("file_not_found")
        file.title = str(entry.get("title") or file.name)
        files.append(file)
    targets = args.listing("channels") or ([args.text("channel_id")] if "channel_id" in args else [])
    for ref in targets:
        channel = bot_channel(ws, ref)
        for file in files:
            file.channels.append(channel.id)
        message = ws.add_message(
            channel.id,
            text=args.text("initial_comment"),
            files=[f.to_api() for f in files],
            thread_ts=args.optional("thread_ts"),
            subtype="file_share",
        )
        for file in files:
            ws.emit({"type": "file_shared", "channel": channel.id, "ts": message.ts, "file": file.to_api()})
    return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in files]}


def files_info(ws: Workspace, args: Args) -> dict[str, Any]:
    """Describe one file."""
    file = ws.files.get(args.text("file", required=True))
    if file is None or not file.uploaded:
        raise SlackError("file_not_found")
    return {"ok": True, "file": file.to_api(), "comments": [], "response_metadata": {"next_cursor": ""}}


METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": files_info,
}


async def _read_upload(request: web.Request) -> bytes:
    if not request.content_type.startswith("multipart/"):
        return await request.read()
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and (part.filename or part.name == "file"):
            return bytes(await part.read())
    return b""


async def upload(request: web.Request) -> web.Response:
    """Receive a file's bytes at the URL files.getUploadURLExternal handed out."""
    ws = request.app[WORKSPACE_KEY]
    file = ws.files.get(request.match_info["file_id"])
    if file is None or file.uploaded:
        return web.Response(status=404, text="file not found or already uploaded")
    file.content = await _read_upload(request)
    file.size = len(file.content)
    file.uploaded = True
    ws.emit({"type": "file_uploaded", "file": file.to_api()})
    return web.Response(text=f"OK - {file.size}", content_type="text/plain")


async def download(request: web.Request) -> web.Response:
    """Serve a file's bytes at its url_private (bot token required, as on Slack)."""
    ws = request.app[WORKSPACE_KEY]
    if request.headers.get("Authorization", "") != f"Bearer {ws.bot_token}":
        return web.Response(status=401, text=json.dumps({"ok": False, "error": "not_authed"}))
    file = ws.files.get(request.match_info["file_id"])
    if file is None or not file.uploaded or request.match_info["name"] != file.name:
        return web.Response(status=404, text="file not found")
    headers = {}
    if "download" in request.query:
        headers["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return web.Response(body=file.content, content_type=file.mimetype, headers=headers)
