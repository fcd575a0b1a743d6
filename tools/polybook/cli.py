"""The ``polybook`` command line: parses arguments, calls the project, prints, picks exit codes.

It holds no logic of its own: every stage is a method of :class:`polybook.project.Project`.
No traceback reaches a user: polybook's errors print as one located line; Ctrl-C and SIGTERM
stop the run with what finished kept; a closed stdout (``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import __version__
from .errors import Diagnostics, Kind, PolybookError, Severity, SourceErrors, UsageError
from .outdir import Holder
from .project import Project
from .source.book import display_path

if TYPE_CHECKING:
    from .execution.plan import Plan
    from .i18n.translate import PageResult
    from .source.document import Document
    from .source.frameworks import Framework

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 130, 141
EXIT_BUG = 70  # sysexits' EX_SOFTWARE: polybook, or a library under it, failed
TRANSLATE_ACTIONS = ["init", "sync", "status", "check", "import", "export", "suggest"]
WARNINGS_PER_KIND = 8


def _common(
    parser: argparse.ArgumentParser, out_help: str = "where generated files go (default: SOURCE/_build)"
) -> None:
    _source(parser)
    parser.add_argument("--out", default=None, metavar="DIR", help=out_help)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every warning")
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="when another polybook run is using the output folder, fail at once instead of waiting",
    )


def _source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        default=None,
        metavar="DIR",
        help="the book's root folder, holding conf.py or config.ini "
        "(default: the nearest such folder from here upwards)",
    )


def _jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="parallel workers (default: the CPUs)",
    )


def _execution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the notebooks on a Dask cluster: tcp://HOST:PORT, or local:N worker processes",
    )
    parser.add_argument(
        "--cache",
        default=None,
        metavar="URL",
        help="a shared execution cache (file:///srv/cache, s3://bucket/prefix); "
        "default: $POLYBOOK_CACHE, else conf.py's polybook_cache",
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polybook", description="Build a multi-framework, multilingual book."
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"polybook {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="`polybook COMMAND --help` says more"
    )

    build = sub.add_parser("build", help="build notebooks, html, pdf or all")
    build.add_argument(
        "target",
        choices=["notebooks", "html", "pdf", "all"],
        help="notebooks (no execution), html (the site), pdf, or all of them",
    )
    build.add_argument("--lang", default=None, metavar="LANGS", help="languages: en,ko or all (default: all)")
    build.add_argument(
        "--framework", default="all", metavar="FRAMEWORKS", help="frameworks: pytorch,mxnet or all (default)"
    )
    build.add_argument("--no-exec", action="store_true", help="do not execute notebooks")
    _jobs(build)
    _execution(build)
    _common(build)

    evaluate = sub.add_parser("eval", help="execute the notebooks (cached)")
    evaluate.add_argument(
        "pages", nargs="*", metavar="PAGE_GLOB", help="only these pages, e.g. 'chapter_preliminaries/*'"
    )
    evaluate.add_argument(
        "--framework", default="all", metavar="FRAMEWORKS", help="frameworks: pytorch,mxnet or all (default)"
    )
    evaluate.add_argument(
        "--explain",
        action="store_true",
        help="say for each notebook whether it would run and why; run nothing, write nothing",
    )
    evaluate.add_argument(
        "--force", default=None, metavar="GLOB", help="run these pages again, e.g. 'chapter_x/*'"
    )
    _jobs(evaluate)
    _execution(evaluate)
    _common(evaluate)

    env = sub.add_parser("env", help="create the frameworks' environments and register their kernels")
    env.add_argument(
        "--framework", default="all", metavar="FRAMEWORKS", help="frameworks: pytorch,mxnet or all (default)"
    )
    _source(env)

    doctor = sub.add_parser("doctor", help="show each framework's environment, kernel, versions and the GPUs")
    _source(doctor)

    lib = sub.add_parser("lib", help="extract #@save blocks into the d2l package")
    lib.add_argument("--check", action="store_true", help="exit 1 if d2l/ is out of date")
    _jobs(lib)
    _common(lib, "write OUT/lib/<module>.py instead of SOURCE/d2l/<module>.py")

    translate = sub.add_parser(
        "translate",
        help="translation pairs: init, sync, status, check, import, export, suggest",
        description="Translation pairs: translations/<lang>/<page>.md beside the chapters.",
    )
    translate.add_argument(
        "action",
        nargs="?",
        choices=TRANSLATE_ACTIONS,
        help="init: write new pair files; sync: follow the chapters; status: how much is translated; "
        "check: lint the pairs; import: from a d2lbook translation, pair files or an export; "
        "export: PO or XLIFF files; suggest: drafts from memory (without one: this help)",
    )
    translate.add_argument("lang", nargs="?", help="a language of the book (status, check: all if omitted)")
    translate.add_argument("paths", nargs="*", help="only these chapter files or pages (default: all)")
    formats = ["table", "json", "po", "xliff"]
    translate.add_argument("--format", choices=formats, help="status: table or json; export: po or xliff")
    translate.add_argument("--list", action="store_true", help="status: name each unit left to do, path:line")
    translate.add_argument(
        "--from", dest="from_dir", metavar="DIR", help="import: d2lbook translation, pair files, export"
    )
    translate.add_argument("--mt", help="suggest: a machine translator, argos or module:Class")
    translate.add_argument(
        "--threshold", type=float, help="suggest: how alike a remembered block must be, 0-1"
    )
    translate.add_argument(
        "--add-language", action="store_true", help="import: add LANG to the configuration"
    )
    _common(translate, "export: the folder to write; otherwise where reports go (default: SOURCE/_build)")
    translate.set_defaults(parser=translate)
    parser.translate = translate  # type: ignore[attr-defined]

    new = sub.add_parser("new", help="start a book: a folder that builds with `make html` right away")
    new.add_argument("dir", help="the new book's folder (it must not exist, or be empty)")
    new.add_argument("--title", default=None, help="the book's title (default: from the folder's name)")

    serve = sub.add_parser("serve", help="live preview: build, serve, rebuild and reload on every save")
    serve.add_argument("--port", type=int, default=8000, help="port to serve on (0: any free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    serve.add_argument(
        "--lang", default=None, metavar="LANGS", help="languages to preview: en,ko or all (default: all)"
    )
    serve.add_argument(
        "--framework", default="all", metavar="FRAMEWORKS", help="frameworks: pytorch,mxnet or all (default)"
    )
    serve.add_argument("--no-exec", action="store_true", help="do not execute notebooks")
    serve.add_argument("--open", action="store_true", help="open the site in a browser")
    _jobs(serve)
    _common(serve)
    return parser


def say(text: str = "") -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def report(diags: Diagnostics, *, verbose: bool = False, saved_to: Path | None = None) -> None:
    """Print the run's diagnostics in file order: every error, and a few warnings of each kind.

    :param saved_to: where the full list was written, named when warnings are left out.
    """
    shown: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    for diag in diags.sorted():
        code = diag.kind.code
        if diag.severity is Severity.WARNING and not verbose and shown[code] >= WARNINGS_PER_KIND:
            hidden[code] += 1
            continue
        shown[code] += 1
        warn(diag.format())
    where = f"all in {saved_to}; " if saved_to else ""
    for code, count in sorted(hidden.items()):
        warn(f"polybook: … {count} more [polybook.{code}] warning(s) ({where}--verbose shows them)")
    errors, warnings = len(diags.errors), len(diags.warnings)
    if errors or warnings:
        warn(f"polybook: {errors} error(s), {warnings} warning(s)")


def _book_root(args: argparse.Namespace) -> Path:
    """``--source``, or the nearest folder from here upwards that holds a book."""
    from .source.config import find_root

    return Path(args.source) if args.source is not None else find_root(Path.cwd())


def _project(args: argparse.Namespace, *, write: bool = True) -> Project:
    return Project(
        _book_root(args),
        getattr(args, "out", None),
        jobs=getattr(args, "jobs", 1),
        cache=getattr(args, "cache", None),
        write=write,
    )


def _waiting(holder: Holder | None) -> None:
    who = str(holder) if holder else "another polybook run"
    warn(f"polybook: waiting for {who} to finish with this output folder (--no-wait gives up instead)")


@contextlib.contextmanager
def _claimed(project: Project, args: argparse.Namespace) -> Iterator[Project]:
    """The output folder held for this run; the command as the user typed it names the holder."""
    with project.claim(args.invocation, wait=not args.no_wait, on_wait=_waiting):
        yield project


def _checked_book(project: Project, args: argparse.Namespace, *, warnings: bool = True) -> None:
    """Parse the book; print its diagnostics; stop on its errors. Warnings are left out for
    commands they do not concern (``lib``, ``translate``)."""
    diags = project.book.diagnostics
    if not warnings:
        diags = Diagnostics(diags.errors)
    if diags.errors:
        report(diags, verbose=args.verbose)
        raise SourceErrors(diags.errors)
    saved_to = project.write_diagnostics(diags) if args.command == "build" else None
    report(diags, verbose=args.verbose, saved_to=saved_to)


def cmd_build(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    project = _project(args)
    frameworks = project.frameworks(args.framework)
    langs = project.languages(args.lang)  # checked for every target, used by those that render
    if args.target == "notebooks":
        langs = []
    with _claimed(project, args):
        _checked_book(project, args)
        if langs:
            untrusted = project.check_translations_publishable(langs)
            if untrusted.errors:
                report(untrusted, verbose=True)
                raise SourceErrors(untrusted.errors)
        result = project.notebooks(frameworks)
        per_fw = ", ".join(f"{fw} {n}" for fw, n in result.notebooks.items())
        missing = sum(s["missing"] for s in result.coverage["summary"].values())
        say(
            f"polybook: {len(project.book.pages)} pages -> notebooks ({per_fw}); "
            f"{result.written} written, {result.unchanged} unchanged, {result.removed} stale removed; "
            f"{missing} page x framework without code (reports/coverage.json) "
            f"in {time.perf_counter() - start:.2f} s -> {project.out / 'notebooks'}"
        )
        if args.target == "notebooks":
            return EXIT_OK
        executed = project.pdf_frameworks(args.framework) if args.target == "pdf" else frameworks
        run = not args.no_exec and project.config.execute  # d2lbook's eval_notebook = False
        code = _evaluate(project, args, executed) if run else EXIT_OK
        # the PDFs first: each language's site offers its PDF when there is one
        if args.target in ("pdf", "all"):
            code = max(code, _render_pdf(project, langs, args.framework))
        if args.target in ("html", "all"):
            code = max(code, _render_html(project, langs, frameworks))
        return code


def _render_pdf(project: Project, langs: list[str], spec: str | None) -> int:
    for lang in langs:
        for fw in project.pdf_frameworks(spec):
            start = time.perf_counter()
            say(f"polybook: making the {lang} PDF ({fw.display}) with XeLaTeX…")
            result = project.pdf(lang, fw)
            for line in result.warnings:
                warn(line)
            say(f"polybook: pdf ({lang}, {fw.name}) in {time.perf_counter() - start:.1f} s -> {result.pdf}")
    return EXIT_OK


def _render_html(project: Project, langs: list[str], frameworks: tuple[Framework, ...]) -> int:
    code = EXIT_OK
    for lang in langs:
        start = time.perf_counter()
        say(f"polybook: {lang}: assembling {len(project.book.pages)} pages…")
        result = project.site(lang, frameworks)
        for line in result.warnings:
            warn(line)
        if result.warnings and project.config.warnings_are_errors:
            code = EXIT_ERROR
        state = "rendered" if result.sphinx_ran else "unchanged, Sphinx not needed"
        changed, warned = result.assembled_changed, len(result.warnings)
        counts = f"{result.pages} pages, {changed} changed, {warned} Sphinx warning(s)"
        say(
            f"polybook: html ({lang}) {state} in {time.perf_counter() - start:.1f} s: {counts} "
            f"-> {result.outdir / 'index.html'}"
        )
    return code


def cmd_lib(args: argparse.Namespace) -> int:
    from .generate.library import diff_summary

    project = _project(args)
    # without --out, lib writes only the book's d2l/ and needs no hold on the output folder
    with _claimed(project, args) if args.out else contextlib.nullcontext(project):
        _checked_book(project, args, warnings=False)
        result = project.library(project.out if args.out else None)
        report(result.diagnostics, verbose=args.verbose)
        if result.diagnostics.errors:
            raise SourceErrors(result.diagnostics.errors)
        if args.check:
            stale = result.stale()
            for name in stale:
                warn(diff_summary(result.paths[name], result.texts[name]))
            if stale:
                warn("polybook lib --check: the library is out of date; run `polybook lib`")
                return EXIT_ERROR
            say(f"polybook lib --check: {len(result.texts)} module(s) up to date")
            return EXIT_OK
        for path, changed in project.write_library(result).items():
            say(f"polybook lib: {path} {'written' if changed else 'unchanged'}")
        return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    project = _project(args, write=not args.explain)
    frameworks = project.frameworks(args.framework)
    if args.explain:  # a dry run: it writes nothing, so it needs no hold on the output folder
        _checked_book(project, args)
        todo = project.plan(frameworks, force=args.force, only=tuple(args.pages), dry_run=True)
        report(todo.diagnostics, verbose=args.verbose)
        rows = [(o.framework, o.page, o.reason) for o in todo.reused]
        rows += [(j.framework, j.page, f"runs: {j.reason}") for j in todo.jobs]
        for fw, page, why in sorted(rows):
            say(f"{fw:<11} {page:<50} {why}")
        say(f"polybook eval --explain: {len(todo.jobs)} to run, {len(todo.reused)} reused")
        return EXIT_OK
    with _claimed(project, args):
        _checked_book(project, args)
        return _evaluate(project, args, frameworks)


def _print_library_updates(todo: Plan) -> None:
    for path in todo.library_updates:
        say(f"polybook eval: updated the library {path}")


def _evaluate(project: Project, args: argparse.Namespace, frameworks: tuple[Framework, ...]) -> int:
    """Execute what changed (the notebooks are built); print the failures; pick the exit code."""
    from .execution.plan import NO_CODE
    from .execution.progress import ConsoleProgress

    progress: list[ConsoleProgress] = []

    def on_plan(todo: Plan) -> None:
        _print_library_updates(todo)
        report(todo.diagnostics, verbose=args.verbose)
        progress.append(ConsoleProgress(len(todo.jobs)))

    class Events:
        def started(self, job: object) -> None:
            progress[0].started(job)  # type: ignore[arg-type]

        def finished(self, job: object, outcome: object) -> None:
            progress[0].finished(job, outcome)  # type: ignore[arg-type]

    try:
        result = project.evaluate(
            frameworks,
            Events(),
            force=getattr(args, "force", None),
            scheduler=getattr(args, "scheduler", None),
            only=tuple(getattr(args, "pages", ())),
            on_plan=on_plan,
        )
    finally:
        if progress:
            progress[0].close()
    reused = result.plan.reused
    prose = sum(o.reason == NO_CODE for o in reused)
    shared = f" ({result.plan.shared_hits} from {project.cache_url})" if result.plan.shared_hits else ""
    where = result.where or f"-j {project.jobs}, {result.gpus} GPU(s)"
    say(
        f"polybook eval: {result.count('executed')} executed, {len(reused) - prose} reused from the cache"
        f"{shared}, {prose} without code, {len(result.failed)} failed "
        f"in {time.time() - result.started:.1f} s ({where}) -> {result.report}"
    )
    for o in sorted(result.outcomes, key=lambda o: (o.framework, o.page)):
        for where_cut, size in o.cut:
            warn(
                f"{where_cut}: {o.framework}: {size} bytes of output cut: the page's outputs passed "
                f"polybook_max_output [polybook.{Kind.EVAL_OUTPUT_CUT.code}]"
            )
    if result.store_problems:
        warn(
            f"polybook: {len(result.store_problems)} write(s) to the shared cache {project.cache_url} "
            f"failed (the results are kept in {project.out / 'cache'}): {result.store_problems[0]}"
        )
    for o in sorted(result.failed, key=lambda o: (o.framework, o.page)):
        where = o.location or o.page
        log = (
            f" (kernel log: {o.extra['kernel_log']})"
            if o.error == "the kernel died" and o.extra.get("kernel_log")
            else ""
        )
        warn(f"{where}: {o.framework}: {o.error}{log} [polybook.{Kind.EVAL_FAILED.code}]")
        if o.raised_at:  # raised inside the library: where the saved line is, in its chapter
            warn(
                f"{o.raised_at}: {o.framework}: raised here, in the d2l library, called from {where} "
                f"[polybook.{Kind.EVAL_FAILED.code}]"
            )
        for line in str(o.extra.get("summary", "")).splitlines():
            warn(f"    {line}")
        if o.extra.get("failed_notebook"):
            warn(f"    the notebook as it ran: {display_path(Path(o.extra['failed_notebook']))}")
    return EXIT_ERROR if result.failed else EXIT_OK


def cmd_env(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor, wait

    from .execution import envs

    project = Project(_book_root(args))
    config = project.config
    chosen = project.frameworks(args.framework)
    start = time.perf_counter()

    def one(fw: Framework) -> str:
        spec = envs.spec_for(fw, config)
        if not envs.is_ready(spec.path):
            # one write per line: the environments are made by several threads at once
            sys.stdout.write(
                f"polybook env: {fw.name}: creating {spec.path} ({', '.join(spec.requirements)}); "
                "this takes a few minutes\n"
            )
            sys.stdout.flush()
        path = envs.ensure(config, fw, log=spec.path.with_name(spec.name + ".log"))
        return f"polybook env: {fw.name}: ready; kernel {fw.kernel} -> {envs.link_path(config, fw)} -> {path}"

    # pip spends most of its time waiting on downloads and disk: the environments install side by side
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        futures = [pool.submit(one, fw) for fw in chosen]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=30)
            for future in done:
                sys.stdout.write(future.result() + "\n")
            if pending:
                sys.stdout.write(f"polybook env: still installing… {time.perf_counter() - start:.0f} s\n")
            sys.stdout.flush()
    say(f"polybook env: {len(chosen)} environment(s) ready in {time.perf_counter() - start:.0f} s")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from .execution import envs

    config = Project(_book_root(args)).config
    gpus = envs.gpu_count()
    say(f"book: {config.root} ({config.config_file})")
    say(f"environment cache: {envs.cache_root()}")
    say(f"GPUs: {gpus or 'none (notebooks run on the CPU)'}")
    problems = 0
    for fw in config.frameworks:
        link = envs.link_path(config, fw)
        ready = (link / "bin" / "python").exists()
        kernel = (envs.kernel_dir(fw) / "kernel.json").is_file()  # written by `env` and by `eval`
        version = envs.version_of(link.resolve(), fw.distribution, *fw.requirements) if ready else ""
        state = "ok" if ready and kernel else f"missing: run `make env-{fw.name}`"
        problems += state != "ok"
        say(f"{fw.name:<11} {fw.display:<11} {version or '-':<14} kernel {fw.kernel:<20} {link} [{state}]")
    return EXIT_ERROR if problems else EXIT_OK


def cmd_translate(args: argparse.Namespace) -> int:
    if args.action is None:
        args.parser.print_help()
        return EXIT_USAGE
    fmt = args.format or {"export": "po"}.get(args.action, "table")
    needs = {
        "export": ("out", "--out DIR (the folder for the PO or XLIFF files)"),
        "import": ("from_dir", "--from DIR (a d2lbook translation, pair files, or an export)"),
    }
    if (args.action == "export") != (fmt in ("po", "xliff")):
        raise UsageError(f"--format {fmt} does not go with translate {args.action}")
    if args.action in needs and not getattr(args, needs[args.action][0]):
        raise UsageError(f"translate {args.action} needs {needs[args.action][1]}")
    # export's --out is the folder of PO or XLIFF files, not the output folder
    project = Project(_book_root(args), args.out if args.action != "export" else None)
    langs = project.translation_languages(args.lang, args.action)
    if args.action == "import" and args.lang not in project.config.languages:
        _offer_language(project, args)
    # check and export only read the pair files; every other action writes them or a report
    with (
        _claimed(project, args) if args.action not in ("check", "export") else contextlib.nullcontext(project)
    ):
        chosen = project.pages(args.paths)
        if args.action == "import":
            chosen = project.import_pages(Path(args.from_dir), chosen)
        writes = args.action in ("init", "sync", "import", "suggest")
        _checked_translation_book(project, args, chosen if writes else [])
        if args.action == "check":
            diags = project.check_translations(langs, chosen)
            report(diags, verbose=True)
            if diags.errors:
                return EXIT_ERROR
            say(f"polybook translate check: {', '.join(langs)}: every pair keeps its source's marks")
            return EXIT_OK
        if args.action == "export":
            return _export(project, args.lang, chosen, fmt, Path(args.out))
        if args.action == "import":
            return _import(project, args.lang, Path(args.from_dir), chosen, args)
        documents: list[dict[str, object]] = []
        code = EXIT_OK
        for lang in langs:
            if args.action == "suggest":
                from .i18n.memory import load_backend

                backend = load_backend(args.mt) if args.mt else None
                pages = project.suggest_translations(lang, chosen, backend, args.threshold)
            else:
                pages = project.sync_translations(
                    lang, chosen, write=args.action != "status", create=args.action == "init"
                )
            code = max(code, _page_diagnostics(pages, args))
            for page in pages:
                if page.skipped:
                    say(
                        f"polybook translate init: {page.path} exists; "
                        f"`polybook translate sync {lang}` updates it"
                    )
            kept = [p for p in pages if not p.skipped and p.status is not None]
            data = project.translation_report(lang, kept)
            documents.append(data)
            if fmt != "json":
                _print_translation_status(args.action, kept, data, listing=args.list)
        if fmt == "json":  # one document, whatever the number of languages
            data = documents[0] if args.lang else {"languages": documents}
            say(json.dumps(data, indent=2, ensure_ascii=False))
        return code


def _offer_language(project: Project, args: argparse.Namespace) -> None:
    """A language the configuration lacks: written into it on request (or on a yes at a terminal)."""
    where = Path(project.config.config_file).name
    if not args.add_language and sys.stdin.isatty() and sys.stdout.isatty():
        answer = input(f"{args.lang} is not among the book's languages; add it to {where}? [y/N] ")
        args.add_language = answer.strip().lower() in ("y", "yes")
    if args.add_language:
        path = project.add_language(args.lang)
        say(f"polybook translate import: added {args.lang} to the languages in {display_path(path)}")
    else:
        say(
            f"polybook translate import: {args.lang} is not among the book's languages ({where}); "
            "importing anyway (--add-language writes it there)"
        )


def _checked_translation_book(project: Project, args: argparse.Namespace, chosen: list[Document]) -> None:
    """The book's errors that concern the pages a translate command touches; the others warn."""
    diags = project.translation_diagnostics(chosen)
    if diags.errors:
        report(diags, verbose=args.verbose)
        raise SourceErrors(diags.errors)
    report(Diagnostics([d for d in diags.items if d.demoted]), verbose=args.verbose)


def _page_diagnostics(pages: list[PageResult], args: argparse.Namespace) -> int:
    diags = Diagnostics()
    for page in pages:
        diags.extend(page.diagnostics)
    report(diags, verbose=args.verbose)
    return EXIT_ERROR if diags.errors else EXIT_OK


def _export(project: Project, lang: str, chosen: list[Document], fmt: str, folder: Path) -> int:
    written = project.export_translations(lang, chosen, fmt, folder)
    changed = sum(1 for _, c in written if c)
    say(f"polybook translate export: {len(written)} {fmt} file(s), {changed} changed -> {folder}")
    return EXIT_OK


def _import(
    project: Project, lang: str, folder: Path, chosen: list[Document], args: argparse.Namespace
) -> int:
    from .i18n.importer import import_table

    result = project.import_translation(lang, folder, chosen)
    report(result.diagnostics, verbose=args.verbose)
    for line in import_table(result.reports):
        say(line)
    _print_changed("import", result.pages)
    kind = f" ({result.kind})" if result.kind else ""
    say(f"polybook translate import: {len(result.pages)} page(s) imported from {folder}{kind}")
    project.translation_report(lang, result.pages)
    return EXIT_ERROR if result.diagnostics.errors else EXIT_OK


def _print_translation_status(
    action: str, pages: list[PageResult], data: dict[str, object], *, listing: bool
) -> None:
    from .i18n.status import status_table

    _print_changed(action, pages)
    if listing:
        for p in pages:
            for todo in p.status.todo if p.status else []:
                say(todo.format())
    for line in status_table(data):
        say(line)


def _print_changed(action: str, pages: list[PageResult]) -> None:
    for p in pages:
        if p.changed:
            say(
                f"polybook translate {action}: {'created' if p.created else 'updated'} {display_path(p.path)}"
            )


def cmd_serve(args: argparse.Namespace) -> int:
    from .preview.run import serve

    project = _project(args)
    frameworks = project.frameworks(args.framework)
    langs = project.languages(args.lang)
    with _claimed(project, args):
        serve(
            project,
            langs,
            frameworks,
            host=args.host,
            port=args.port,
            execute=not args.no_exec and project.config.execute,
            open_browser=args.open,
            say=say,
        )
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .new import create

    starter = create(Path(args.dir), args.title)
    # the book's library, so that `make test`'s `lib --check` holds; nothing else is written yet
    project = Project(starter.root, write=False)
    for path, _ in project.write_library(project.library()).items():
        starter.files.append(path)
    say(f"polybook new: {len(starter.files)} files written into {starter.root}")
    uses = f"{starter.polybook}" + (f" (from {starter.source})" if starter.source else "")
    say(f"polybook new: its Makefile uses {uses}")
    say(f"polybook new: next, `cd {display_path(starter.root)} && make html`")
    return EXIT_OK


COMMANDS = {
    "build": cmd_build,
    "eval": cmd_eval,
    "env": cmd_env,
    "doctor": cmd_doctor,
    "lib": cmd_lib,
    "translate": cmd_translate,
    "new": cmd_new,
    "serve": cmd_serve,
}


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line as a namespace. ``translate``'s options may come before or after its
    positional arguments (argparse mixes them only for a parser without subcommands)."""
    parser = make_parser()
    if argv and argv[0] == "translate":
        translate: argparse.ArgumentParser = parser.translate  # type: ignore[attr-defined]
        args = translate.parse_intermixed_args(argv[1:], argparse.Namespace(command="translate"))
        return args
    return parser.parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops a run as Ctrl-C does: what finished is kept, what ran is recorded."""
    raise KeyboardInterrupt


def _crash_report(args: argparse.Namespace) -> str:
    """Where the traceback of the exception being handled went (a file of its own, so that a
    bug report can attach it), as words for the user."""
    import tempfile
    import traceback

    text = f"{args.invocation}\npolybook {__version__}, Python {sys.version.split()[0]}\n\n"
    text += traceback.format_exc()
    try:
        fd, name = tempfile.mkstemp(prefix="polybook-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        return "its traceback could not be saved"
    return f"please report it with {name}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    args.invocation = " ".join(["polybook", *argv])
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return COMMANDS[args.command](args)
    except SourceErrors as exc:
        warn(f"polybook: {exc}")
        return exc.exit_code
    except PolybookError as exc:
        warn(f"polybook: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        warn("polybook: interrupted; what finished is kept")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`polybook … | head`): say nothing more, and let Python's exit
        # flush find a descriptor that accepts it instead of raising a second time
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE
    except Exception as exc:  # a bug: one line to the user, the traceback kept in a file
        warn(f"polybook: internal error: {type(exc).__name__}: {exc}")
        warn(f"polybook: this is a bug in polybook or a library it uses; {_crash_report(args)}")
        return EXIT_BUG
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
