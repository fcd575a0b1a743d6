"""The project: one book, its configuration, its output folder and its stages, loaded once.

Every command goes through a :class:`Project`: the command line builds one per run, a live
preview keeps one for as long as it serves, and executors receive the jobs it plans. It knows
where things are (``root``, ``out``), parses the book once (again on :meth:`Project.reload`),
and offers each stage as a method that takes the previous stage's data and returns a typed
result. It prints nothing and exits nothing: the caller reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import outdir
from .errors import Diagnostic, Diagnostics, Kind, Position, UsageError
from .fsutil import read_source, write_json, write_text
from .i18n.locale import locale
from .source.book import Book, load_book
from .source.config import LANGUAGE_CODE, BookConfig, load_config
from .source.frameworks import Framework

if TYPE_CHECKING:
    from .execution.cache import Cache
    from .execution.executors import Events, Executor
    from .execution.jobs import Job, Outcome
    from .execution.plan import Plan
    from .execution.store import Store
    from .generate.library import Module
    from .generate.notebook_files import NotebooksResult
    from .i18n.memory import Backend
    from .i18n.pages import ImportResult
    from .i18n.translate import PageResult
    from .render.pdf import PdfResult
    from .render.site import SiteResult
    from .source.document import Document


@dataclass
class LibraryResult:
    """Each framework's library module: its text, where it goes, and whether that file differs."""

    texts: dict[str, str]
    paths: dict[str, Path]
    diagnostics: Diagnostics

    def stale(self) -> list[str]:
        """Framework names whose file is missing or differs from the text."""
        return [
            name
            for name, text in self.texts.items()
            if not self.paths[name].is_file() or read_source(self.paths[name]) != text
        ]


@dataclass
class EvalResult:
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    report: Path | None = None
    started: float = field(default_factory=time.time)
    gpus: int = 0
    where: str = ""
    """Where the jobs ran (the executor's description)."""
    store_problems: list[str] = field(default_factory=list)
    """What could not be written to the shared cache store."""

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


VERSION = "(version)"
"""The key of the version file among a :class:`LibraryResult`'s modules."""


def set_version(text: str, release: str) -> str:
    """``text`` (a Python file) with its ``__version__ = …`` lines set to ``release``."""
    import re

    return re.sub(r"(?m)^(\s*)__version__\s*=.*$", lambda m: f'{m.group(1)}__version__ = "{release}"', text)


class Project:
    """A book and its output folder.

    :param source: the book's root folder (``conf.py`` or ``config.ini``).
    :param out: where generated files go; ``SOURCE/_build`` by default.
    :param jobs: parallel workers for the stages that have them.
    :param cache: the shared execution cache (an fsspec URL or a folder); by default
        ``$POLYBOOK_CACHE``, else the book's ``polybook_cache``, else none.
    :param write: False for a run that writes nothing (the parse cache is only read).
    :raises ConfigError: for a bad configuration; :class:`OutputError` for an output folder that
        is the book itself.
    """

    def __init__(
        self,
        source: str | Path = ".",
        out: str | Path | None = None,
        *,
        jobs: int = 1,
        cache: str | None = None,
        write: bool = True,
    ) -> None:
        self.write = write
        """False for a run that must leave every file as it is (``eval --explain``): the parse
        cache is read, never written."""
        self.config: BookConfig = load_config(source)
        self.root = self.config.root
        self.out_given = out is not None
        self.out = Path(out).resolve() if out is not None else self.root / "_build"
        outdir.check_placement(self.root, self.out)
        self.jobs = max(1, jobs)
        self.cache_url = self._cache_url(cache)
        self._book: Book | None = None
        self._modules: dict[str, Module] = {}

    def _cache_url(self, given: str | None) -> str:
        """The shared store's URL; a plain folder is made absolute (from the book's root when
        ``conf.py`` names it, from the current folder otherwise)."""
        for url, base in (
            (given, Path.cwd()),
            (os.environ.get("POLYBOOK_CACHE"), Path.cwd()),
            (self.config.cache, self.root),
        ):
            if url:
                return url if "://" in url else str((base / url).resolve())
        return ""

    # -- the output folder ---------------------------------------------------------------------

    @contextlib.contextmanager
    def claim(
        self, command: str, *, wait: bool = True, on_wait: Callable[[outdir.Holder | None], None] = print
    ) -> Iterator[Project]:
        """Hold the output folder for a run (see :func:`polybook.outdir.claim`)."""
        with outdir.claim(self.out, self.root, command, wait=wait, on_wait=on_wait):
            yield self

    # -- the book ------------------------------------------------------------------------------

    @property
    def book(self) -> Book:
        """The book, parsed on first use (pages unchanged since an earlier run come from the
        parse cache under ``OUT/cache/parse``)."""
        if self._book is None:
            self._book = load_book(
                self.config,
                jobs=self.jobs,
                cache=self.out / "cache" / "parse",
                skip=(self.out,),
                store=self.write,
            )
            self._book.diagnostics.extend([*self.config.notes, *self.language_diagnostics()])
        return self._book

    def reload(self) -> Book:
        """Read the configuration and the book again (after the files changed)."""
        self.config = load_config(self.root)
        self._book = None
        self._modules = {}
        return self.book

    def language_diagnostics(self) -> list[Diagnostic]:
        """A warning for each language of the book that has no locale file."""
        return [
            Diagnostic(
                Kind.LOCALE_MISSING,
                f"language {lang!r} has no locale file (polybook/i18n/locales/{lang}.toml): "
                "the words polybook adds to its pages will be English",
                Position(self.config.config_file, 0),
            )
            for lang in self.config.languages
            if not locale(lang).found
        ]

    def write_diagnostics(self, diags: Diagnostics) -> Path:
        """``reports/diagnostics.json``: every diagnostic of the run, for tools."""
        path = self.out / "reports" / "diagnostics.json"
        records = [
            {
                "path": d.position.path,
                "line": d.position.line,
                "kind": d.kind.code,
                "severity": d.severity.value,
                "message": d.message,
            }
            for d in diags.sorted()
        ]
        write_json(path, records)
        return path

    def frameworks(self, spec: str | None) -> tuple[Framework, ...]:
        """Frameworks named by ``--framework`` (``all``, or a comma list)."""
        return self.config.select_frameworks(spec)

    def languages(self, spec: str | None) -> list[str]:
        """Languages named by ``--lang`` (``all``, or a comma list); all of the book's by default."""
        if not spec or spec == "all":
            return list(self.config.languages)
        chosen = [lang.strip() for lang in spec.split(",") if lang.strip()]
        unknown = [lang for lang in chosen if lang not in self.config.languages]
        if unknown:
            shown = ", ".join(repr(u) if not LANGUAGE_CODE.match(u) else u for u in unknown)
            raise UsageError(f"--lang {shown}: the book's languages are {', '.join(self.config.languages)}")
        return chosen

    def pages(self, names: Sequence[str]) -> list[Document]:
        """The pages named (chapter files or page names), or every page."""
        book = self.book
        if not names:
            return list(book.pages)
        by_key = {key: doc for doc in book.pages for key in (doc.name, str(doc.path.resolve()))}
        found, unknown = [], []
        for name in names:
            doc = by_key.get(name) or by_key.get(str(Path(name).resolve()))
            if doc is None:
                unknown.append(name)
            else:
                found.append(doc)
        if unknown:
            raise UsageError(f"not a page of the book: {', '.join(unknown)}")
        return found

    # -- notebooks and the library -------------------------------------------------------------

    def notebooks(self, frameworks: tuple[Framework, ...]) -> NotebooksResult:
        """``OUT/notebooks/<fw>/<page>.ipynb`` and ``reports/coverage.json``."""
        from .generate.notebook_files import build_notebooks

        return build_notebooks(self.book, frameworks, self.out)

    def library(self, out: Path | None = None) -> LibraryResult:
        """Each framework's ``d2l`` module, for ``d2l/`` (or ``out/lib/``), checked by pyflakes:
        a name a module uses and never defines is a warning at its chapter line."""
        from .generate.library import build_module, library_paths
        from .generate.library_lint import lint_module
        from .source.book import display_path

        diags = Diagnostics()
        paths = library_paths(self.book, out)
        key = self._library_key(paths)
        cached = self.out / "cache" / "library" / f"{key}.json"
        try:  # the same pages, configuration and polybook: the same modules and warnings
            stored = json.loads(cached.read_text(encoding="utf-8"))
            texts = {name: text for name, text in stored["texts"]}  # pairs: the frameworks' order
            diags.items.extend(Diagnostic(Kind[k], m, Position(p, n)) for k, m, p, n in stored["diagnostics"])
        except (OSError, ValueError, KeyError):
            texts = {}
            for fw in self.config.frameworks:
                module = build_module(self.book, fw, diags)
                lint_module(module, fw, display_path(paths[fw.name]), self.root, diags)
                texts[fw.name] = module.text
            records = [[d.kind.name, d.message, d.position.path, d.position.line] for d in diags]
            if self.write:  # a run that writes nothing (`new`, `eval --explain`) caches nothing
                write_json(cached, {"texts": list(texts.items()), "diagnostics": records})
        version = self.root / self.config.version_file if self.config.version_file else None
        if version is not None and version.is_file() and self.config.release:
            # d2lbook's [library] version_file: its `__version__` follows the book's release
            texts[VERSION] = set_version(read_source(version), self.config.release)
            paths[VERSION] = out / "lib" / version.name if out else version
        return LibraryResult(texts, paths, diags)

    def library_module(self, module: str) -> Module | None:
        """The library module called ``module`` (``torch``) with the chapter line of each of its
        lines, as the kernels import it; None for a name the book has no framework for."""
        from .generate.library import build_module

        fw = next((f for f in self.config.frameworks if f.module == module), None)
        if fw is None:
            return None
        if module not in self._modules:
            self._modules[module] = build_module(self.book, fw, Diagnostics())
        return self._modules[module]

    def _library_key(self, paths: dict[str, Path]) -> str:
        """What the library is made from: every page, the library settings, the hand-written
        heads of its modules, where they go, and polybook's library code."""
        import hashlib

        from .generate import library, library_lint

        parts = library.made_from(self.book)
        parts += [f"{name}={path}" for name, path in sorted(paths.items())]
        parts += [library.book_head(path) for path in library.library_paths(self.book, None).values()]
        parts.append(hashlib.sha256(Path(library_lint.__file__).read_bytes()).hexdigest())
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def write_library(self, result: LibraryResult) -> dict[Path, bool]:
        """Write the modules; for each file, whether it changed."""
        return {
            result.paths[name]: write_text(result.paths[name], text) for name, text in result.texts.items()
        }

    # -- execution -----------------------------------------------------------------------------

    def gpus(self) -> int:
        from .execution import envs

        return envs.gpu_count()

    def store(self) -> Store | None:
        """The shared cache store, when the project has one."""
        from .execution.store import Store

        return Store(self.cache_url) if self.cache_url else None

    def cache(self) -> Cache:
        """The output folder's execution cache, with the shared store."""
        from .execution.cache import Cache

        return Cache(self.out, self.store())

    def plan(
        self,
        frameworks: tuple[Framework, ...],
        *,
        force: str | None = None,
        only: tuple[str, ...] = (),
        dry_run: bool = False,
        cache: Cache | None = None,
    ) -> Plan:
        """What an eval would run and why, and what it reuses; the notebooks are built first.

        With ``--out``, the ``d2l`` package the kernels import goes to ``OUT/python/`` so that
        nothing is written into the book. With ``dry_run`` (``eval --explain``), nothing is
        written at all: the notebooks and the library are compared in memory.
        """
        from .execution.plan import plan

        if not dry_run:
            self.notebooks(frameworks)
        library_root = self.out / "python" if self.out_given else None
        if only:
            self.check_page_globs(only)
        return plan(
            self.book,
            frameworks,
            self.out,
            force=force,
            library_root=library_root,
            cache=cache or self.cache(),
            only=only,
            dry_run=dry_run,
        )

    def check_page_globs(self, globs: Sequence[str]) -> None:
        """Each glob names at least one page.

        :raises UsageError: naming the globs that match none.
        """
        import fnmatch

        names = [doc.name for doc in self.book.pages]
        empty = [g for g in globs if not any(fnmatch.fnmatch(n, g) for n in names)]
        if empty:
            raise UsageError(f"no page of the book matches {', '.join(repr(g) for g in empty)}")

    def executor(self, workers: int | None = None, gpus: int = 0, scheduler: str | None = None) -> Executor:
        """The local process pool, or a Dask cluster (``tcp://HOST:PORT`` or ``local:N``)."""
        if scheduler:
            from .execution.cluster import DaskExecutor

            return DaskExecutor(scheduler)
        from .execution.executors import LocalPoolExecutor

        return LocalPoolExecutor(workers or self.jobs, gpus)

    def bundle(self, todo: Plan) -> str:
        """Pack what the cells see (the book's files, the library) for this run; its digest."""
        from .execution import bundle

        return bundle.publish(self.root, todo.library_root or self.root, skip=(self.out,))

    def evaluate(
        self,
        frameworks: tuple[Framework, ...],
        events: Events,
        *,
        force: str | None = None,
        only: tuple[str, ...] = (),
        executor: Executor | None = None,
        scheduler: str | None = None,
        on_plan: Callable[[Plan], None] = lambda plan: None,
    ) -> EvalResult:
        """Execute what changed; each notebook is kept as its outcome arrives and
        ``reports/eval.json`` written after it, so a run that is stopped (Ctrl-C) still reports
        what finished and what it interrupted.

        :param scheduler: run on a Dask cluster (see :meth:`executor`) instead of the local pool.
        :raises KeyboardInterrupt: after recording the interrupted notebooks.
        """
        import dataclasses

        from .execution.failures import publish
        from .execution.jobs import write_report
        from .execution.results import keep

        started = time.time()
        gpus = 0 if scheduler else self.gpus()
        executor = executor or self.executor(gpus=gpus, scheduler=scheduler)  # a bad address: now
        cache = self.cache()
        todo = self.plan(frameworks, force=force, only=only, cache=cache)
        on_plan(todo)
        result = EvalResult(todo, list(todo.reused), started=started, gpus=gpus)
        by_name: dict[str, Job] = {}
        if todo.jobs:
            digest = self.bundle(todo)
            todo.jobs = [dataclasses.replace(job, bundle=digest) for job in todo.jobs]
            by_name = {job.name: job for job in todo.jobs}
        out, project = self.out, self

        class Recorder:
            def started(self, job: Job) -> None:
                events.started(job)

            def finished(self, job: Job, outcome: Outcome) -> None:
                keep(out, cache, by_name.get(job.name, job), outcome)
                if outcome.status == "failed":  # its page is published with what ran, marked failed
                    publish(out, by_name.get(job.name, job), outcome, project.library_module)
                result.outcomes.append(outcome)
                write_report(out, result.outcomes, started)  # a killed run still reports
                events.finished(job, outcome)

        try:
            if todo.jobs:
                with executor:
                    executor.run(todo.jobs, Recorder())
                    result.where = executor.describe()
        finally:
            result.report = write_report(self.out, result.outcomes, started)
            if cache.shared is not None:
                result.store_problems = cache.shared.problems
        return result

    # -- rendering -----------------------------------------------------------------------------

    def site(self, lang: str, frameworks: tuple[Framework, ...]) -> SiteResult:
        """``OUT/html/<lang>/``, rendered by Sphinx when anything it reads changed."""
        from .render.site import render

        return render(self.book, frameworks, self.out, lang, jobs=self.jobs)

    def pdf_frameworks(self, spec: str | None) -> tuple[Framework, ...]:
        """One book per language in the default framework, unless ``--framework`` names others."""
        return self.frameworks(spec) if spec not in ("all", None) else (self.config.frameworks[0],)

    def pdf(self, lang: str, framework: Framework) -> PdfResult:
        """``OUT/pdf/<lang>/<name>[-<framework>].pdf`` through XeLaTeX."""
        from .render.pdf import build

        return build(self.book, framework, self.out, lang, jobs=self.jobs)

    # -- translations --------------------------------------------------------------------------

    def translation_languages(self, lang: str | None, action: str) -> list[str]:
        """The languages a translate command works on: ``lang``, or every translation language.

        ``import`` also takes a language the configuration does not list yet (a d2lbook book's
        ``config.ini`` lists none): the command gives it, :meth:`add_language` records it.
        """
        others = list(self.config.languages[1:])
        if lang is not None and not LANGUAGE_CODE.match(lang):
            raise UsageError(f"{lang!r} is not a language code (such as ko, zh, pt-BR)")
        if action in ("init", "sync", "import", "export", "suggest") and lang is None:
            listed = f": one of {', '.join(others)}" if others else " (such as ko, zh, ja)"
            raise UsageError(f"translate {action} needs a language{listed}")
        langs = [lang] if lang else others
        if action == "import" and lang is not None and lang != self.config.languages[0]:
            return langs
        unknown = [code for code in langs if code not in others]
        if unknown:
            listed = ", ".join(others) if others else f"none yet (add {unknown[0]} to polybook_languages)"
            raise UsageError(f"{', '.join(unknown)} is not a translation language of the book: {listed}")
        return langs

    def add_language(self, lang: str) -> Path:
        """Write ``lang`` into the book's configuration (``conf.py`` or ``config.ini``)."""
        from .source.config import add_language

        path = add_language(self.config, lang)
        self.config = load_config(self.root)
        return path

    def translation_diagnostics(self, written: Sequence[Document]) -> Diagnostics:
        """The book's diagnostics for a translate command: reference errors (a duplicate label,
        a reference to no label, a toc entry to no page, an image outside the book) in pages
        whose pair files it does not write only warn; a command that only reads writes none."""
        touched = {str(doc.display_path) for doc in written} | {str(doc.path) for doc in written}
        references = {Kind.LABEL_DUPLICATE, Kind.REF_UNKNOWN, Kind.TOC_MISSING, Kind.IMAGE_OUTSIDE}
        diags = Diagnostics()
        for diag in self.book.diagnostics:
            if diag.kind in references and diag.position.path not in touched:
                diag = diag.as_warning()
            diags.items.append(diag)
        return diags

    def pair_path(self, lang: str, doc: Document) -> Path:
        from .i18n.translate import pair_file

        return pair_file(self.root, self.config.pages_root, lang, doc.path)

    def import_pages(self, folder: Path, docs: Sequence[Document]) -> list[Document]:
        """Of ``docs``, the pages ``folder`` holds a translation of (what an import touches)."""
        from .i18n.exchange import exchange_file

        if not folder.is_dir():
            raise UsageError(f"--from {folder}: no such folder")
        return [d for d in docs if (folder / f"{d.name}.md").is_file() or exchange_file(folder, d.name)]

    def import_translation(self, lang: str, folder: Path, docs: Sequence[Document]) -> ImportResult:
        """Pair files from a folder made elsewhere: a d2lbook translation, pair files, or the PO
        or XLIFF files of :meth:`export_translations`."""
        from .i18n.pages import import_folder

        if not folder.is_dir():
            raise UsageError(f"--from {folder}: no such folder")
        return import_folder(self.book, lang, folder, docs)

    def export_translations(
        self, lang: str, docs: Sequence[Document], fmt: str, folder: Path
    ) -> list[tuple[Path, bool]]:
        """One PO or XLIFF file per page of ``docs`` in ``folder``."""
        from .i18n.pages import export_pages

        if folder.resolve() == self.root or (self.root / "translations") in (
            folder.resolve(),
            *folder.resolve().parents,
        ):
            raise UsageError(f"--out {folder}: export beside the book's pair files, not into them")
        return export_pages(self.book, lang, docs, fmt, folder)

    def suggest_translations(
        self,
        lang: str,
        docs: Sequence[Document],
        backend: Backend | None = None,
        threshold: float | None = None,
    ) -> list[PageResult]:
        """Drafts from the book's translation memory (and ``backend``) for what is left to do."""
        from .i18n.memory import THRESHOLD
        from .i18n.pages import suggest_pages

        return suggest_pages(self.book, lang, docs, backend, THRESHOLD if threshold is None else threshold)

    def sync_translations(
        self, lang: str, docs: Sequence[Document], *, write: bool, create: bool
    ) -> list[PageResult]:
        """Bring the pair files of ``docs`` up to date with the chapters.

        :param write: write the files (sync, init); False only reports (status).
        :param create: only make the files that do not exist yet (init).
        """
        from .i18n.pages import sync_pages

        return sync_pages(self.book, lang, docs, write=write, create=create)

    def check_translations(self, langs: Sequence[str], docs: Sequence[Document]) -> Diagnostics:
        """``translate check``: the lints of every pair of ``docs`` in ``langs``."""
        from .i18n.pages import check_pages

        return check_pages(self.book, langs, docs)

    def check_translations_publishable(self, langs: Sequence[str]) -> Diagnostics:
        """What in the pair files of ``langs`` may not reach the site or the PDF (raw HTML, files
        of the build machine, paths outside the book; a pair file that is not UTF-8): a build
        reports them all and renders nothing."""
        from .i18n.pages import untrusted_pages

        return untrusted_pages(self.book, langs)

    def translation_report(self, lang: str, pages: Sequence[PageResult]) -> dict[str, object]:
        """``reports/translate-<lang>.json``: per page and in total, what is translated."""
        from .i18n.pages import report

        data = report(lang, pages)
        write_json(self.out / "reports" / f"translate-{lang}.json", data)
        return data
