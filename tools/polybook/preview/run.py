"""Run a preview: build, serve ``OUT/html``, watch the book, rebuild and reload on each save."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import traceback
import webbrowser
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import uvicorn
import watchfiles

from ..errors import PolybookError
from ..project import Project
from ..source.frameworks import Framework
from .server import Hub, make_app
from .session import Preview, Rebuild

#: Folders of a book whose changes never concern the preview.
IGNORED = {
    ".git",
    ".venv",
    "venv",
    "envs",
    "node_modules",
    "__pycache__",
    ".ipynb_checkpoints",
    ".mypy_cache",
}


class BookFilter(watchfiles.DefaultFilter):
    """Changes to the book's files, never to the output folder (which the preview itself writes)."""

    def __init__(self, out: Path, generated: set[Path]) -> None:
        # polybook's own atomic writes go through `.<name>.<pid>.<random>.tmp` files (fsutil)
        patterns = (*watchfiles.DefaultFilter.ignore_entity_patterns, r"^\..+\.tmp$")
        super().__init__(ignore_dirs=sorted(IGNORED), ignore_entity_patterns=patterns)
        self.out = out.resolve()
        self.generated = {p.resolve() for p in generated}

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        resolved = Path(path).resolve()
        return (
            super().__call__(change, path)
            and not resolved.is_relative_to(self.out)
            and resolved not in self.generated  # the library polybook itself writes into the book
        )


Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path, keep: BookFilter) -> Snapshot:
    """Each file of the book the preview watches, with its modification time and size."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if keep(watchfiles.Change.modified, os.path.join(folder, d))]
        for name in files:
            path = os.path.join(folder, name)
            if keep(watchfiles.Change.modified, path):
                with contextlib.suppress(OSError):
                    info = os.stat(path)
                    found[path] = (info.st_mtime_ns, info.st_size)
    return found


def _differences(before: Snapshot, after: Snapshot) -> set[tuple[watchfiles.Change, str]]:
    changes = {(watchfiles.Change.deleted, path) for path in before.keys() - after.keys()}
    changes |= {(watchfiles.Change.added, path) for path in after.keys() - before.keys()}
    edited = (path for path in after.keys() & before.keys() if after[path] != before[path])
    changes |= {(watchfiles.Change.modified, path) for path in edited}
    return changes


def _digest(path: str) -> str | None:
    """A file's bytes as a hash (None: it is gone or unreadable)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


async def _changes_since(
    before: Snapshot, root: Path, keep: BookFilter, stop: asyncio.Event
) -> AsyncIterator[set[tuple[watchfiles.Change, str]]]:
    """The book's changes from ``before`` on: first what changed while the preview was busy
    building (the watcher did not exist yet: a save then would be lost), then each save."""
    source = watchfiles.awatch(
        root, watch_filter=keep, debounce=50, step=20, stop_event=stop, rust_timeout=500
    )
    waiting = asyncio.ensure_future(anext(source))
    try:
        # watchfiles sets its watches in the first step of the task, before its first await: once
        # the task has run that far, a snapshot misses nothing the watcher will not report
        await asyncio.sleep(0)
        missed = await asyncio.to_thread(lambda: _differences(before, snapshot(root, keep)))
        # a save just as the watcher started is in the snapshot and reported by the watcher too:
        # the second report, the file's bytes unchanged since, is no change
        handled = {path: _digest(path) for _, path in missed}
        if missed:
            yield missed
        while True:
            try:
                changes = await waiting
            except StopAsyncIteration:
                return
            if handled:
                changes = {(c, path) for c, path in changes if handled.get(path, "") != _digest(path)}
                handled = {}
            if changes:
                yield changes
            waiting = asyncio.ensure_future(anext(source))
    finally:
        waiting.cancel()


def _book_filter(project: Project) -> BookFilter:
    from ..generate.library import library_paths

    modules = set(library_paths(project.book, None).values())
    # the library polybook writes into the book: its modules and their package's __init__.py
    return BookFilter(project.out, modules | {module.parent / "__init__.py" for module in modules})


def serve(
    project: Project,
    langs: Sequence[str],
    frameworks: tuple[Framework, ...],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    execute: bool = True,
    open_browser: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the book until interrupted (Ctrl-C), rebuilding on every save."""
    hub = Hub()
    preview = Preview(project, langs, frameworks, execute=execute, send=hub.send, warn=say)

    def done(record: Rebuild) -> None:
        hub.record(asdict(record))
        say(f"polybook serve: {record.summary()}")

    say(f"polybook serve: building {project.root} ({', '.join(langs)})…")
    try:
        keep = _book_filter(project)
        before = snapshot(project.root, keep)  # a save during the first build is seen after it
        done(preview.start())
        app = make_app(project.out / "html", hub, home=lambda: f"/{langs[0]}/index.html")
        server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        )
        asyncio.run(_run(server, hub, preview, project, done, say, open_browser, before))
    finally:
        preview.close()


async def _run(
    server: uvicorn.Server,
    hub: Hub,
    preview: Preview,
    project: Project,
    done: Callable[[Rebuild], None],
    say: Callable[[str], None],
    open_browser: bool,
    before: Snapshot,
) -> None:
    hub.loop = asyncio.get_running_loop()
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if serving.done():
        await serving  # it could not start (a port in use): say why
        return
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    url = f"http://{host}:{port}/{preview.langs[0]}/index.html"
    say(f"polybook serve: {url} (Ctrl-C stops)")
    if open_browser:
        webbrowser.open(url)
    stop = asyncio.Event()
    watching = asyncio.create_task(_watch(project, preview, hub, done, say, stop, before))
    try:
        await serving
    finally:
        stop.set()
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching


async def _watch(
    project: Project,
    preview: Preview,
    hub: Hub,
    done: Callable[[Rebuild], None],
    say: Callable[[str], None],
    stop: asyncio.Event,
    before: Snapshot,
) -> None:
    async for changes in _changes_since(before, project.root, _book_filter(project), stop):
        paths = {Path(path) for _, path in changes}
        try:
            done(await asyncio.to_thread(preview.changed, paths))
        except PolybookError as exc:
            hub.send({"type": "errors", "items": [{"where": "polybook", "message": str(exc)}]})
            say(f"polybook serve: {exc}")
        except Exception as exc:  # the preview goes on; the browser shows what broke
            detail = traceback.format_exc()
            hub.send(
                {"type": "errors", "items": [{"where": "polybook", "message": repr(exc), "detail": detail}]}
            )
            say(f"polybook serve: rebuilding failed: {exc!r}")
