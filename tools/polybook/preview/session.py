"""A live preview session: the book built once, then rebuilt as little as each change needs.

A saved chapter is parsed again (the parse cache keeps the others); if only its prose changed,
nothing executes and only that page is assembled and rendered, by Sphinx applications kept
warm per language (:mod:`polybook.render.warm`). A changed code cell re-executes that notebook,
and a changed ``#@save`` block the notebooks that use it (the execution cache decides, as in
``polybook eval``). A pair file re-renders its page in its language; a new title rewrites every
page's navigation; a changed configuration starts everything again. Source errors and failed
cells go to the browser as an overlay, and go away when fixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Severity
from ..project import Project
from ..render.site import FEW, prepare, sphinx_settings
from ..render.warm import WarmResult, WarmSphinx
from ..source.document import CodeCell, Document
from ..source.frameworks import Framework

Message = Callable[[dict[str, Any]], None]


@dataclass
class Rebuild:
    """What one change made the preview do (kept in the status API and printed)."""

    kind: str
    """``start``, ``prose``, ``code``, ``translation``, ``config``, ``asset`` or ``error``."""
    changed: list[str] = field(default_factory=list)
    """The files that changed, relative to the book."""
    pages: list[str] = field(default_factory=list)
    """Pages whose source changed."""
    executed: list[str] = field(default_factory=list)
    """Notebooks executed, as ``framework/page``."""
    rendered: dict[str, list[str]] = field(default_factory=dict)
    """Per language, the documents Sphinx wrote."""
    problems: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        pages = f" {', '.join(self.pages)}" if self.pages else ""
        ran = f"; executed {', '.join(self.executed)}" if self.executed else ""
        wrote = ", ".join(f"{lang}: {len(docs)} page(s)" for lang, docs in self.rendered.items())
        trouble = f"; {self.problems} problem(s)" if self.problems else ""
        return f"{self.kind}{pages}{ran}; rendered {wrote or 'nothing'}{trouble} in {self.seconds:.2f} s"


def _code(doc: Document) -> list[tuple[str, frozenset[str]]]:
    return [(cell.source, cell.frameworks) for cell in doc.blocks if isinstance(cell, CodeCell)]


class Preview:
    """The book behind ``polybook serve``.

    :param send: delivers a message to the browsers (``reload``, ``errors``, ``progress``).
    """

    def __init__(
        self,
        project: Project,
        langs: Sequence[str],
        frameworks: tuple[Framework, ...],
        *,
        execute: bool,
        send: Message,
        warn: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.project = project
        self.langs = list(langs)
        self.frameworks = frameworks
        self.execute = execute
        self.send = send
        self.warn = warn
        self.warm: dict[str, WarmSphinx] = {}
        self.settings: dict[str, dict[str, Any]] = {}

    # -- building ---------------------------------------------------------------------------

    def start(self) -> Rebuild:
        """Build everything that is missing, then start the warm Sphinx applications."""
        return self._everything(Rebuild("start"), time.perf_counter())

    def _everything(self, record: Rebuild, began: float) -> Rebuild:
        """Notebooks, execution and every language's site, as on a first build."""
        if not self._report_source_errors(record):
            self.project.notebooks(self.frameworks)
            if self.execute:
                self._evaluate(record)
            self._render(record, started=True)
        record.seconds = time.perf_counter() - began
        return record

    def changed(self, paths: set[Path]) -> Rebuild:
        """Rebuild what the changed ``paths`` touch."""
        began = time.perf_counter()
        root = self.project.root
        relative = sorted(p.relative_to(root).as_posix() for p in paths if p.is_relative_to(root))
        config_file = Path(self.project.config.config_file)
        if config_file in paths:
            self.close()
            self.project.reload()
            return self._everything(Rebuild("config", relative), began)
        before = {doc.name: doc for doc in self.project.book.pages}
        self.project.reload()
        after = {doc.name: doc for doc in self.project.book.pages}
        pages = sorted(
            name
            for name in before.keys() | after.keys()
            if name not in before
            or name not in after
            or before[name].content_key() != after[name].content_key()
        )
        code = [n for n in pages if n not in before or n not in after or _code(before[n]) != _code(after[n])]
        translations = sorted(
            {p.relative_to(root / "translations").parts[0] for p in paths if _under(p, root / "translations")}
        )
        kind = "code" if code else "prose" if pages else "translation" if translations else "asset"
        record = Rebuild(kind, relative, pages)
        if self._report_source_errors(record):
            record.seconds = time.perf_counter() - began
            return record
        if pages:
            self.project.notebooks(self.frameworks)
        if code and self.execute:
            self._evaluate(record)
        titles = any(
            before.get(n) is None or after.get(n) is None or before[n].title != after[n].title for n in pages
        )
        self._render(record, rewrite=titles)
        record.seconds = time.perf_counter() - began
        return record

    def _report_source_errors(self, record: Rebuild) -> bool:
        """Send the book's errors to the browsers (or clear them); whether there were any."""
        errors = [d for d in self.project.book.diagnostics.sorted() if d.severity is Severity.ERROR]
        items = [
            {"where": str(d.position), "message": f"{d.message} [polybook.{d.kind.code}]"} for d in errors
        ]
        self.send({"type": "errors", "items": items})
        if errors:
            record.kind, record.problems = "error", len(errors)
        return bool(errors)

    def _evaluate(self, record: Rebuild) -> None:
        send = self.send

        class Progress:
            def started(self, job: Any) -> None:
                send({"type": "progress", "text": f"executing {job.page} ({job.framework})…"})

            def finished(self, job: Any, outcome: Any) -> None:
                if outcome.status == "executed":
                    record.executed.append(f"{job.framework}/{job.page}")

        result = self.project.evaluate(self.frameworks, Progress())
        self.send({"type": "progress", "text": ""})
        failures = [
            {
                "where": o.location or o.page,
                "message": f"{o.framework}: {o.error} [polybook.eval-failed]",
                "detail": str(o.extra.get("traceback", "")),
            }
            for o in result.failed
        ]
        record.problems += len(failures)
        if failures:
            self.send({"type": "errors", "items": failures})

    def _render(
        self, record: Rebuild, *, started: bool = False, rewrite: bool = False, every: bool = False
    ) -> None:
        """Assemble what changed in every language; render the languages where anything did.

        :param every: render every language (a change Sphinx itself must look at: an image).
        """
        book, out = self.project.book, self.project.out
        titles: dict[str, str] = {}
        touched: list[str] = []
        changed: dict[str, int] = {}
        for lang in self.langs:
            self.send({"type": "progress", "text": f"rendering {lang}…"})
            prepared = prepare(book, self.frameworks, out, lang)
            titles[lang], changed[lang] = prepared.title, prepared.assembled_changed
            if started or rewrite or every or prepared.assembled_changed:
                touched.append(lang)
        pending: dict[str, WarmSphinx] = {}
        for lang in touched:
            settings = sphinx_settings(book, lang, self.frameworks, out, titles[lang])
            if lang not in self.warm or self.settings.get(lang) != settings:
                if lang in self.warm:
                    self.warm.pop(lang).close()
                self.warm[lang] = WarmSphinx(
                    out / "site" / lang,
                    out / "html" / lang,
                    out / "doctrees" / lang,
                    settings,
                    self.project.jobs,
                )
                self.settings[lang] = settings
            pending[lang] = self.warm[lang]
        # the languages build side by side: each application is a process of its own
        results: dict[str, WarmResult] = {}
        for lang, warm in pending.items():
            if rewrite:
                warm.begin("rewrite", [d.name for d in book.pages])
            elif not started and not every and changed[lang] <= FEW:
                warm.begin("few")
            else:
                warm.begin()
        for lang, warm in pending.items():
            results[lang] = warm.receive()
        self.send({"type": "progress", "text": ""})
        written: list[str] = []
        failures = []
        for lang, result in results.items():
            record.rendered[lang] = sorted(result.written)
            written += [f"{lang}/{doc}.html" for doc in result.written]
            for line in result.warnings:
                self.warn(line)
            if result.status:
                failures.append({"where": f"Sphinx ({lang})", "message": "\n".join(result.warnings[-5:])})
        if failures:
            record.problems += len(failures)
            self.send({"type": "errors", "items": failures})
        self.send({"type": "reload", "pages": None if rewrite or started else written})

    def close(self) -> None:
        for warm in self.warm.values():
            warm.close()
        self.warm.clear()
        self.settings.clear()

    def status(self, record: Rebuild) -> dict[str, Any]:
        return asdict(record)


def _under(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder)
