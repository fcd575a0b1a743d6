"""The ``polybook`` command line: parses arguments, calls the stages, prints, picks exit codes.

It holds no logic of its own; every stage lives in a module of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .book import Book, display_path, load_book
from .config import BookConfig, load_config
from .errors import Diagnostic, Diagnostics, Kind, PolybookError, Severity, SourceErrors
from .frameworks import Framework
from .fsutil import write_json, write_text

if TYPE_CHECKING:
    from .document import Document
    from .execute import Outcome
    from .translate import PageResult, Status

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _common(
    parser: argparse.ArgumentParser, out_help: str = "where generated files go (default: SOURCE/_build)"
) -> None:
    parser.add_argument("--source", default=".", help="the book's root folder (default: .)")
    parser.add_argument("--out", default=None, help=out_help)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every warning")


def _jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polybook", description="Build a multi-framework, multilingual book."
    )
    parser.add_argument("--version", action="version", version=f"polybook {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build notebooks, html, pdf or all")
    build.add_argument("target", choices=["notebooks", "html", "pdf", "all"])
    build.add_argument("--lang", default=None, help="languages: en,ko or all")
    build.add_argument("--framework", default="all", help="frameworks: pytorch,mxnet or all")
    build.add_argument("--no-exec", action="store_true", help="do not execute notebooks")
    _jobs(build)
    _common(build)

    evaluate = sub.add_parser("eval", help="execute the notebooks (cached)")
    evaluate.add_argument("--framework", default="all", help="frameworks: pytorch,mxnet or all")
    evaluate.add_argument(
        "--explain", action="store_true", help="say for each notebook whether it runs and why; run nothing"
    )
    evaluate.add_argument(
        "--force", default=None, metavar="GLOB", help="run these pages again, e.g. 'chapter_x/*'"
    )
    _jobs(evaluate)
    _common(evaluate)

    env = sub.add_parser("env", help="create the frameworks' environments and register their kernels")
    env.add_argument("--framework", default="all", help="frameworks: pytorch,mxnet or all")
    env.add_argument("--source", default=".", help="the book's root folder (default: .)")

    doctor = sub.add_parser("doctor", help="show each framework's environment, kernel, versions and the GPUs")
    doctor.add_argument("--source", default=".", help="the book's root folder (default: .)")

    lib = sub.add_parser("lib", help="extract #@save blocks into the d2l package")
    lib.add_argument("--check", action="store_true", help="exit 1 if d2l/ is out of date")
    _jobs(lib)
    _common(lib, "write OUT/lib/<module>.py instead of SOURCE/d2l/<module>.py")

    translate = sub.add_parser("translate", help="translation pairs: init, sync, status, check, import")
    translate.add_argument("action", choices=["init", "sync", "status", "check", "import"])
    translate.add_argument("lang", nargs="?", help="a language of the book (status, check: all if omitted)")
    translate.add_argument("paths", nargs="*", help="only these chapter files or pages (default: all)")
    translate.add_argument("--format", choices=["table", "json"], default="table")
    translate.add_argument("--from", dest="from_dir", default=None)
    _common(translate)

    sub.add_parser("serve", help="live preview")
    return parser


def _out(config: BookConfig, out: str | None) -> Path:
    return Path(out).resolve() if out else config.root / "_build"


WARNINGS_PER_KIND = 8


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
        print(diag.format(), file=sys.stderr)
    where = f"all in {saved_to}; " if saved_to else ""
    for code, count in sorted(hidden.items()):
        print(
            f"polybook: … {count} more [polybook.{code}] warning(s) ({where}--verbose shows them)",
            file=sys.stderr,
        )
    errors, warnings = len(diags.errors), len(diags.warnings)
    if errors or warnings:
        print(f"polybook: {errors} error(s), {warnings} warning(s)", file=sys.stderr)


def _diagnostic_record(diag: Diagnostic) -> dict[str, object]:
    return {
        "path": diag.position.path,
        "line": diag.position.line,
        "kind": diag.kind.code,
        "severity": diag.severity.value,
        "message": diag.message,
    }


def _load(args: argparse.Namespace, *, warnings: bool = True) -> tuple[BookConfig, Book]:
    """The book, parsed and checked. Its errors stop the command; its warnings are printed
    unless ``warnings`` is False (for commands they do not concern, such as ``lib``)."""
    config = load_config(args.source)
    cache = _out(config, args.out) / "cache" / "parse" if args.command in ("build", "eval") else None
    book = load_book(config, jobs=getattr(args, "jobs", 1), cache=cache)
    diags = book.diagnostics
    if not warnings:
        diags = Diagnostics(diags.errors)
    if diags.errors:
        report(diags, verbose=args.verbose)
        raise SourceErrors(diags.errors)
    saved_to = None
    if getattr(args, "command", "") == "build":
        saved_to = _out(config, args.out) / "reports" / "diagnostics.json"
        write_json(saved_to, [_diagnostic_record(d) for d in diags.sorted()])
    report(diags, verbose=args.verbose, saved_to=saved_to)
    return config, book


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build_notebooks

    start = time.perf_counter()
    config, book = _load(args)
    frameworks = config.select_frameworks(args.framework)
    out = _out(config, args.out)
    result = build_notebooks(book, frameworks, out)
    per_fw = ", ".join(f"{fw} {n}" for fw, n in result.notebooks.items())
    missing = sum(s["missing"] for s in result.coverage["summary"].values())
    print(
        f"polybook: {len(book.pages)} pages -> notebooks ({per_fw}); "
        f"{result.written} written, {result.unchanged} unchanged, {result.removed} stale removed; "
        f"{missing} page x framework without code (reports/coverage.json) "
        f"in {time.perf_counter() - start:.2f} s -> {out / 'notebooks'}"
    )
    if args.target == "notebooks":
        return EXIT_OK
    executed = _pdf_frameworks(args, config, frameworks) if args.target == "pdf" else frameworks
    code = EXIT_OK if args.no_exec else _evaluate(args, book, executed, out, time.time())
    if args.target in ("html", "all"):
        code = max(code, _render_html(args, book, frameworks, out))
    if args.target in ("pdf", "all"):
        code = max(code, _render_pdf(args, book, frameworks, out))
    return code


def _pdf_frameworks(
    args: argparse.Namespace, config: BookConfig, frameworks: tuple[Framework, ...]
) -> tuple[Framework, ...]:
    """One book per language in the default framework, unless --framework names others."""
    return frameworks if args.framework not in ("all", None) else (config.frameworks[0],)


def _render_pdf(args: argparse.Namespace, book: Book, frameworks: tuple[Framework, ...], out: Path) -> int:
    from .pdf import build

    for lang in _languages(book.config, args.lang):
        for fw in _pdf_frameworks(args, book.config, frameworks):
            start = time.perf_counter()
            print(f"polybook: making the {lang} PDF ({fw.display}) with XeLaTeX…", flush=True)
            result = build(book, fw, out, lang, jobs=args.jobs)
            for line in result.warnings:
                print(line, file=sys.stderr)
            print(f"polybook: pdf ({lang}, {fw.name}) in {time.perf_counter() - start:.1f} s -> {result.pdf}")
    return EXIT_OK


def _languages(config: BookConfig, spec: str | None) -> list[str]:
    """Languages named by ``--lang`` (``all``, or a comma list); all of the book's by default."""
    if not spec or spec == "all":
        return list(config.languages)
    chosen = [lang.strip() for lang in spec.split(",") if lang.strip()]
    unknown = [lang for lang in chosen if lang not in config.languages]
    if unknown:
        raise PolybookError(
            f"--lang {', '.join(unknown)}: the book's languages are {', '.join(config.languages)}"
        )
    return chosen


def _render_html(args: argparse.Namespace, book: Book, frameworks: tuple[Framework, ...], out: Path) -> int:
    from .site import render

    for lang in _languages(book.config, args.lang):
        start = time.perf_counter()
        print(f"polybook: {lang}: assembling {len(book.pages)} pages…", flush=True)
        result = render(book, frameworks, out, lang, jobs=args.jobs)
        for line in result.warnings:
            print(line, file=sys.stderr)
        state = "rendered" if result.sphinx_ran else "unchanged, Sphinx not needed"
        changed, warned = result.assembled_changed, len(result.warnings)
        counts = f"{result.pages} pages, {changed} changed, {warned} Sphinx warning(s)"
        print(
            f"polybook: html ({lang}) {state} in {time.perf_counter() - start:.1f} s: {counts} "
            f"-> {result.outdir / 'index.html'}"
        )
    return EXIT_OK


def cmd_lib(args: argparse.Namespace) -> int:
    from .library import build_library, diff_summary, library_paths

    config, book = _load(args, warnings=False)
    diags = Diagnostics()
    out = Path(args.out).resolve() if args.out else None
    texts = {fw.name: build_library(book, fw, diags) for fw in config.frameworks}
    report(diags, verbose=args.verbose)
    if diags.errors:
        raise SourceErrors(diags.errors)
    paths = library_paths(book, out)
    if args.check:
        stale = [
            diff_summary(paths[name], text)
            for name, text in texts.items()
            if not paths[name].is_file() or paths[name].read_text(encoding="utf-8") != text
        ]
        for summary in stale:
            print(summary, file=sys.stderr)
        if stale:
            print("polybook lib --check: the library is out of date; run `polybook lib`", file=sys.stderr)
            return EXIT_ERROR
        print(f"polybook lib --check: {len(texts)} module(s) up to date")
        return EXIT_OK
    for name, text in texts.items():
        changed = write_text(paths[name], text)
        print(f"polybook lib: {paths[name]} {'written' if changed else 'unchanged'}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from .build import build_notebooks

    started = time.time()
    config, book = _load(args)
    frameworks = config.select_frameworks(args.framework)
    out = _out(config, args.out)
    build_notebooks(book, frameworks, out)
    return _evaluate(args, book, frameworks, out, started)


def _evaluate(
    args: argparse.Namespace, book: Book, frameworks: tuple[Framework, ...], out: Path, started: float
) -> int:
    """Execute what changed (the notebooks are built); print the failures; pick the exit code."""
    from . import envs
    from .evaluate import NO_CODE, ConsoleProgress, execute, plan, write_report

    gpus = envs.gpu_count()
    # with --out, nothing is written into the source tree, not even its d2l/
    library_root = out / "python" if args.out else None
    force = getattr(args, "force", None)
    todo = plan(book, frameworks, out, force=force, gpus=gpus, library_root=library_root)
    for path in todo.library_updates:
        print(f"polybook eval: updated the library {path}")
    if getattr(args, "explain", False):
        rows = [(o.framework, o.page, "cached" if o.reason == "cached" else o.reason) for o in todo.reused]
        rows += [(j.framework, j.page, f"runs: {j.reason}") for j in todo.jobs]
        for fw, page, why in sorted(rows):
            print(f"{fw:<11} {page:<50} {why}")
        print(f"polybook eval --explain: {len(todo.jobs)} to run, {len(todo.reused)} reused")
        return EXIT_OK
    outcomes = list(todo.reused)
    progress = ConsoleProgress(len(todo.jobs))

    def keep(outcome: Outcome) -> None:
        outcomes.append(outcome)
        write_report(out, outcomes, started)  # after every notebook: a killed run still reports

    try:
        execute(todo.jobs, args.jobs, gpus, progress, keep)
    finally:
        progress.close()
    report_path = write_report(out, outcomes, started)
    failed = [o for o in outcomes if o.status == "failed"]
    ran = sum(o.status == "executed" for o in outcomes)
    prose = sum(o.reason == NO_CODE for o in todo.reused)
    print(
        f"polybook eval: {ran} executed, {len(todo.reused) - prose} reused from the cache, "
        f"{prose} without code, {len(failed)} failed "
        f"in {time.time() - started:.1f} s (-j {args.jobs}, {gpus} GPU(s)) -> {report_path}"
    )
    for o in sorted(failed, key=lambda o: (o.framework, o.page)):
        where = o.location or o.page
        log = (
            f" (kernel log: {o.extra['kernel_log']})"
            if o.error == "the kernel died" and o.extra.get("kernel_log")
            else ""
        )
        print(f"{where}: {o.framework}: {o.error}{log} [polybook.{Kind.EVAL_FAILED.code}]", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK


def cmd_env(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor, wait

    from . import envs

    config = load_config(args.source)
    chosen = config.select_frameworks(args.framework)
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
    print(f"polybook env: {len(chosen)} environment(s) ready in {time.perf_counter() - start:.0f} s")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from . import envs

    config = load_config(args.source)
    gpus = envs.gpu_count()
    print(f"book: {config.root} ({config.config_file})")
    print(f"environment cache: {envs.cache_root()}")
    print(f"GPUs: {gpus or 'none (notebooks run on the CPU)'}")
    problems = 0
    for fw in config.frameworks:
        link = envs.link_path(config, fw)
        ready = (link / "bin" / "python").exists()
        kernel = (envs.kernel_dir(fw) / "kernel.json").is_file()  # written by `env` and by `eval`
        version = envs.version_of(link.resolve(), fw.distribution, *fw.requirements) if ready else ""
        state = "ok" if ready and kernel else f"missing: run `make env-{fw.name}`"
        problems += state != "ok"
        print(f"{fw.name:<11} {fw.display:<11} {version or '-':<14} kernel {fw.kernel:<20} {link} [{state}]")
    return EXIT_ERROR if problems else EXIT_OK


def cmd_translate(args: argparse.Namespace) -> int:
    from . import translate as tr

    config, book = _load(args, warnings=False)
    others = list(config.languages[1:])
    if args.action in ("init", "sync", "import") and args.lang is None:
        raise PolybookError(f"translate {args.action} needs a language: one of {', '.join(others)}")
    langs = [args.lang] if args.lang else others
    unknown = [lang for lang in langs if lang not in others]
    if unknown:
        raise PolybookError(
            f"{', '.join(unknown)} is not a translation language of the book: {', '.join(others)}"
        )
    if args.action == "import":
        if not args.from_dir:
            raise PolybookError("translate import needs --from DIR (a d2lbook translation)")
        imported = tr.import_d2lbook(book, args.lang, Path(args.from_dir))
        print(f"polybook translate import: {imported} page(s) imported from {args.from_dir}")
    chosen = _chosen_pages(book, args.paths)
    diags = Diagnostics()
    results: dict[str, list[tr.PageResult]] = {}
    for lang in langs:
        for doc in chosen:
            source = doc.path.read_text(encoding="utf-8")
            target = tr.pair_file(config.root, config.pages_root, lang, doc.path)
            existing = target.read_text(encoding="utf-8") if target.is_file() else None
            if args.action == "init" and existing is not None:
                print(
                    f"polybook translate init: {target} exists; `polybook translate sync {lang}` updates it"
                )
                continue
            if args.action == "check":
                if existing is not None:
                    tr.check_file(doc, source, existing, display_path(target), diags)
                continue
            text, status = tr.sync_text(doc, source, existing)
            result = tr.PageResult(doc.name, target, status, created=existing is None)
            if args.action in ("init", "sync", "import"):
                result.changed = write_text(target, text)
            results.setdefault(lang, []).append(result)
    if args.action == "check":
        report(diags, verbose=True)
        if diags.errors:
            return EXIT_ERROR
        print(f"polybook translate check: {', '.join(langs)}: every pair keeps its source's marks")
        return EXIT_OK
    for lang, pages in results.items():
        _print_translation_status(
            lang, pages, args, config, fmt=args.format if args.action == "status" else "table"
        )
    return EXIT_OK


def _chosen_pages(book: Book, paths: list[str]) -> list[Document]:
    """The pages named on the command line (chapter files or page names), or every page."""
    if not paths:
        return list(book.pages)
    by_key = {key: doc for doc in book.pages for key in (doc.name, str(doc.path.resolve()))}
    unknown = [p for p in paths if p not in by_key and str(Path(p).resolve()) not in by_key]
    if unknown:
        raise PolybookError(f"not a page of the book: {', '.join(unknown)}")
    return [by_key.get(p) or by_key[str(Path(p).resolve())] for p in paths]


def _print_translation_status(
    lang: str, pages: list[PageResult], args: argparse.Namespace, config: BookConfig, fmt: str
) -> None:
    from .translate import total_status

    def record(status: Status) -> dict[str, Any]:
        counts = ("translated", "stale", "missing", "orphaned", "percent")
        return {key: getattr(status, key) for key in counts}

    rows = [{"page": p.page, **record(p.status)} for p in pages]
    total = record(total_status(lang, [p.status for p in pages]))
    data = {"language": lang, "pages": rows, "total": total}
    write_json(_out(config, getattr(args, "out", None)) / "reports" / f"translate-{lang}.json", data)
    if fmt == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if args.action != "status":
        changed = [p for p in pages if p.changed]
        for p in changed:
            verb = "created" if p.created else "updated"
            print(f"polybook translate {args.action}: {verb} {display_path(p.path)}")
    print(f"{'page':<55} {'done':>5} {'stale':>5} {'todo':>5} {'orph':>5} {'%':>6}")
    for r in rows:
        counts = f"{r['translated']:>5} {r['stale']:>5} {r['missing']:>5} {r['orphaned']:>5}"
        print(f"{r['page']:<55} {counts} {r['percent']:>6}")
    print(
        f"{lang + ' total':<55} {total['translated']:>5} {total['stale']:>5} {total['missing']:>5} "
        f"{total['orphaned']:>5} {total['percent']:>6}"
    )


def cmd_pending(args: argparse.Namespace) -> int:
    print(f"polybook {args.command}: not available yet in this version", file=sys.stderr)
    return EXIT_USAGE


COMMANDS = {
    "build": cmd_build,
    "eval": cmd_eval,
    "env": cmd_env,
    "doctor": cmd_doctor,
    "lib": cmd_lib,
    "translate": cmd_translate,
    "serve": cmd_pending,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SourceErrors as exc:
        print(f"polybook: {exc}", file=sys.stderr)
        return exc.exit_code
    except PolybookError as exc:
        print(f"polybook: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
