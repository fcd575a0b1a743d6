"""A Sphinx application kept warm: one per language, alive in a process of its own.

``polybook build`` starts Sphinx anew for each run; a live preview cannot afford that on every
save (loading the environment of a large book, importing Sphinx and its extensions). Here the
application is made once and asked to build again after each change: Sphinx then reads only
the documents whose files changed and writes only what depends on them. It lives in a process
of its own because Sphinx registers its nodes and directives process-wide (a second application
in one process would warn about each); the parent talks to it over a pipe.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..errors import PolybookError
from ..processes import quiet_worker


@dataclass
class WarmResult:
    """What one build did."""

    written: list[str] = field(default_factory=list)
    """Documents written, as Sphinx names them (``chapter_x/page``)."""
    read: list[str] = field(default_factory=list)
    """Documents read again."""
    warnings: list[str] = field(default_factory=list)
    status: int = 0
    seconds: float = 0.0


def _pages(outdir: str) -> dict[str, int]:
    """Every HTML page of the output, by document name, with its modification time."""
    root = Path(outdir)
    return {
        path.relative_to(root).as_posix()[:-5]: path.stat().st_mtime_ns
        for path in root.rglob("*.html")
        if not path.relative_to(root).parts[0].startswith("_")
    }


def _serve(
    conn: Connection, srcdir: str, outdir: str, doctreedir: str, settings: dict[str, Any], jobs: int
) -> None:
    """The worker: make the application, then build whenever asked, until told to stop."""
    from .site import sphinx_app

    quiet_worker()
    warnings = io.StringIO()
    read: list[str] = []
    try:
        app = sphinx_app(srcdir, outdir, doctreedir, settings, jobs, warnings)
    except Exception as exc:  # answer every request with why, rather than die unheard
        failure = [*warnings.getvalue().splitlines(), f"Sphinx could not start: {exc}"]
        while conn.recv()[0] != "stop":
            conn.send(WarmResult(warnings=failure, status=1))
        return
    # pages are written by forked processes when Sphinx writes in parallel, so what was written
    # is read off the output folder, not collected from events
    app.connect("env-before-read-docs", lambda app, env, docnames: read.extend(docnames))
    while True:
        try:
            command, argument = conn.recv()
        except EOFError:
            return
        if command == "stop":
            return
        # Sphinx reads and writes in parallel whatever the number of pages: for the page or two
        # of an edit, forking workers and merging their environments back costs more than the
        # work itself (a second of a two-second rebuild of d2l-en)
        app.parallel = 1 if command == "few" else max(1, jobs)
        start = time.perf_counter()
        before = _pages(outdir)
        read.clear()
        # Sphinx keeps the doctrees it has loaded, pickled, in memory; a document re-read by a
        # parallel worker leaves a stale copy there, and pages would be written from it. Sphinx's
        # own test application clears the cache before each build of a kept application, as here.
        app.env._pickled_doctree_cache.clear()
        warnings.seek(0)
        warnings.truncate()
        try:
            if command == "rewrite":  # every page again (the navigation changed), reading only what changed
                app.builder.build_specific([Path(srcdir) / name for name in argument])
            else:
                app.build()
            after = _pages(outdir)
            written = sorted(name for name, stamp in after.items() if before.get(name) != stamp)
            result = WarmResult(written, list(read), warnings.getvalue().splitlines(), app.statuscode)
        except Exception as exc:  # a broken page must not end the preview: say what happened
            result = WarmResult(
                warnings=[*warnings.getvalue().splitlines(), f"Sphinx failed: {exc}"], status=1
            )
        result.seconds = time.perf_counter() - start
        conn.send(result)


class WarmSphinx:
    """One language's site, rebuilt on request by an application that stays loaded."""

    def __init__(
        self, srcdir: Path, outdir: Path, doctreedir: Path, settings: dict[str, Any], jobs: int = 1
    ) -> None:
        self.srcdir = srcdir
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve,
            args=(child, str(srcdir), str(outdir), str(doctreedir), settings, jobs),
            # not a daemon: Sphinx's parallel reading and writing start processes of their own,
            # which a daemon may not; it dies with polybook all the same (quiet_worker)
            daemon=False,
        )
        self.process.start()
        child.close()

    def begin(self, command: str = "build", documents: list[str] | None = None) -> None:
        """Start a build without waiting for it (several languages then build side by side):
        ``build`` reads what changed and writes what depends on it; ``few`` does so in one
        process, without Sphinx's workers (a change to a few pages); ``rewrite`` writes every
        page in ``documents`` again (a title changed the navigation)."""
        argument = [f"{name}.ipynb" for name in documents] if documents is not None else None
        self.conn.send((command, argument))

    def receive(self) -> WarmResult:
        """The result of the build :meth:`begin` started, its warnings located in the chapters."""
        from .site import locate_warning

        try:
            result: WarmResult = self.conn.recv()
        except (EOFError, OSError) as exc:
            code = self.process.exitcode
            raise PolybookError(
                f"the Sphinx process of {self.srcdir.name} stopped (exit code {code}); its log is above"
            ) from exc
        result.warnings = [locate_warning(line, self.srcdir) for line in result.warnings if line.strip()]
        return result

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError, EOFError):
            self.conn.send(("stop", None))
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
