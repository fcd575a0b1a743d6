"""The preview's web server: the built site as it is in ``OUT/html``, plus a live channel.

Starlette serves the files; each HTML page gets one script tag (``live.js``) that opens a
websocket and, when the book changes, reloads the page (keeping its scroll position; the
framework choice is kept by the site itself) or shows the problems of the last build over
it. ``/_polybook/status`` answers with what every rebuild did, for tools and tests.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

LIVE_JS = Path(__file__).with_name("live.js")
SCRIPT = b'<script src="/_polybook/live.js" defer></script>'


class Hub:
    """The browsers watching the preview, and what they should be shown now."""

    def __init__(self) -> None:
        self.sockets: set[WebSocket] = set()
        self.errors: list[dict[str, str]] = []
        self.progress = ""
        self.log: list[dict[str, Any]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.Lock()

    async def join(self, socket: WebSocket) -> None:
        await socket.accept()
        self.sockets.add(socket)
        await socket.send_text(json.dumps({"type": "errors", "items": self.errors}))
        if self.progress:
            await socket.send_text(json.dumps({"type": "progress", "text": self.progress}))
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            self.sockets.discard(socket)

    async def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message)
        for socket in list(self.sockets):
            try:
                await socket.send_text(text)
            except Exception:  # a browser that went away mid-send; it reconnects if it can
                self.sockets.discard(socket)

    def send(self, message: dict[str, Any]) -> None:
        """Send ``message`` to every browser; callable from any thread."""
        if message["type"] == "errors":
            self.errors = message["items"]
        elif message["type"] == "progress":
            self.progress = message["text"]
        if self.loop is not None:
            asyncio.run_coroutine_threadsafe(self._send(message), self.loop)

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)


def _inside(root: Path, path: str) -> Path | None:
    """The file ``path`` names under ``root``, or None (never a file outside it)."""
    target = (root / path.lstrip("/")).resolve()
    if not target.is_relative_to(root.resolve()):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def make_app(html_root: Path, hub: Hub, home: Callable[[], str]) -> Starlette:
    """The preview's application: ``html_root`` served, ``live.js`` injected into its pages.

    :param home: the page ``/`` goes to (the first language's index).
    """

    async def live(request: Request) -> Response:
        return FileResponse(LIVE_JS, media_type="text/javascript")

    async def status(request: Request) -> Response:
        with hub.lock:
            builds = list(hub.log)
        return JSONResponse({"builds": builds, "errors": hub.errors, "progress": hub.progress})

    async def socket(websocket: WebSocket) -> None:
        await hub.join(websocket)

    async def page(request: Request) -> Response:
        path = request.path_params["path"]
        if not path:
            return RedirectResponse(home())
        target = _inside(html_root, path)
        if target is None:
            return PlainTextResponse("not found", status_code=404)
        if target.suffix != ".html":
            return FileResponse(target, headers={"Cache-Control": "no-cache"})
        body = target.read_bytes()
        end = body.rfind(b"</body>")
        body = body[:end] + SCRIPT + body[end:] if end >= 0 else body + SCRIPT
        return Response(body, media_type="text/html", headers={"Cache-Control": "no-cache"})

    return Starlette(
        routes=[
            Route("/_polybook/live.js", live),
            Route("/_polybook/status", status),
            WebSocketRoute("/_polybook/ws", socket),
            Route("/{path:path}", page),
        ]
    )
