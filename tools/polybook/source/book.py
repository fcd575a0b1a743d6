"""The whole book: its pages in table-of-contents order, and the checks that span pages.

Labels, references, images and ``toc`` entries are checked here because only the whole book
knows whether a label exists or is defined twice.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import pickle
import posixpath
import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics, EncodingError, Kind
from ..fsutil import read_source, write_bytes
from ..processes import process_pool
from .config import BookConfig
from .document import Document

_SKIP_DIRS = {
    "_build",
    "envs",
    ".venv",
    "venv",
    "node_modules",
    "translations",
    "d2l",
    "tests",
    "benchmarks",
    "tools",
}
_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_REF_TARGET = re.compile(r"<([^<>]+)>\s*$")


@dataclass
class Book:
    config: BookConfig
    pages: list[Document] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    def page(self, name: str) -> Document | None:
        return next((p for p in self.pages if p.name == name), None)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when that is shorter, for diagnostics."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if len(rel) < len(str(path)) else str(path)


def discover_pages(config: BookConfig, skip: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Every Markdown page under the pages folder, by page name (``chapter_x/y``).

    :param skip: folders never read as pages, whatever their name (the output folder).
    """
    root = config.pages_root
    skipped = {s.resolve() for s in skip}
    pages: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith((".", "_"))
            and d not in _SKIP_DIRS
            and Path(folder, d).resolve() not in skipped
        )
        for file in sorted(files):
            if not file.endswith(".md"):
                continue
            rel = Path(folder, file).relative_to(root).as_posix()
            if any(fnmatch.fnmatch(rel, pattern) for pattern in config.exclude):
                continue
            pages[rel[:-3]] = Path(folder, file)
    return pages


@functools.cache
def _parser_digest() -> str:
    """A hash of the code that turns a page into a Document: a new polybook invalidates the cache."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in (
        *(here / f"{m}.py" for m in ("markdown", "cells", "parser", "document")),
        here.parent / "errors.py",
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()


ParseJob = tuple[str, Path, str, tuple[str, ...], "Path | None"]


def _digest(job: ParseJob, text: str) -> str:
    """What the page's Document is made from: its text, name, frameworks and the parser's code.

    It names the page's parse-cache entry, and later stages key their own caches on it.
    """
    name, path, shown, frameworks, _ = job
    key = hashlib.sha256(json.dumps([_parser_digest(), name, str(path), shown, frameworks, text]).encode())
    return key.hexdigest()


def _entry(job: ParseJob, text: str) -> Path | None:
    """Where the parse cache keeps this page: named by its content, never by a file's date."""
    cache = job[4]
    return None if cache is None else cache / f"{_digest(job, text)}.pickle"


def _load_entry(entry: Path) -> tuple[Document, Diagnostics] | None:
    try:
        with open(entry, "rb") as handle:
            cached: tuple[Document, Diagnostics] = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        return None
    return cached


def _parse_one(job: ParseJob) -> tuple[Document, Diagnostics]:
    """Parse one page and keep the result in the parse cache (a pickle written atomically)."""
    from .parser import parse_page  # markdown-it is loaded only when a page must be parsed

    name, path, shown, frameworks, _ = job
    text = read_source(path)
    entry = _entry(job, text)
    diags = Diagnostics()
    doc = parse_page(text, name, path, shown, frameworks, diags)
    doc.digest = _digest(job, text)
    if entry is not None:
        write_bytes(entry, pickle.dumps((doc, diags), protocol=pickle.HIGHEST_PROTOCOL))
    return doc, diags


def _toc_order(
    docs: dict[str, Document], diags: Diagnostics, unreadable: Set[str] = frozenset()
) -> list[str]:
    """Page names depth-first from ``index`` through the toc blocks, then the rest, sorted.

    :param unreadable: pages that exist but could not be read (reported already).
    """
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        order.append(name)
        doc = docs[name]
        base = posixpath.dirname(name)
        for entry, line in doc.toc():
            target = posixpath.normpath(posixpath.join(base, entry.removesuffix(".md")))
            if target in docs:
                visit(target)
            elif target not in unreadable:
                diags.add(
                    Kind.TOC_MISSING,
                    f"toc entry {entry!r} names no page ({target}.md)",
                    doc.display_path,
                    line,
                )

    if "index" in docs:
        visit("index")
    order += sorted(n for n in docs if n not in seen)
    return order


def load_book(
    config: BookConfig,
    jobs: int = 1,
    cache: Path | None = None,
    skip: tuple[Path, ...] = (),
    store: bool = True,
) -> Book:
    """Parse every page of the book and run the checks that span pages.

    :param cache: a folder for the parse cache (pages whose text is unchanged are not parsed).
    :param skip: folders that hold no pages (the output folder, when it is inside the book).
    :param store: False to only read the parse cache, never add to it (a run that writes nothing).
    """
    book = Book(config)
    frameworks = tuple(fw.name for fw in config.frameworks)
    results: list[tuple[Document, Diagnostics]] = []
    missing: list[ParseJob] = []
    unreadable: set[str] = set()
    for name, path in discover_pages(config, skip).items():
        job = (name, path, display_path(path), frameworks, cache if store else None)
        try:
            text = read_source(path)
        except EncodingError as exc:  # reported with the others; the page is left out
            book.diagnostics.items.append(exc.diagnostic().relocated(job[2]))
            unreadable.add(name)
            continue
        # pages parsed before come from the cache, without starting any process
        entry = _entry((*job[:4], cache), text)
        found = _load_entry(entry) if entry is not None else None
        if found is None:
            missing.append(job)
        else:
            results.append(found)
    if jobs > 1 and len(missing) > 16:
        with process_pool(jobs, "fork") as pool:
            results += pool.map(_parse_one, missing, chunksize=max(1, len(missing) // (jobs * 4)))
    else:
        results += [_parse_one(job) for job in missing]
    docs = {}
    for doc, diags in results:
        docs[doc.name] = doc
        book.diagnostics.extend(diags)
    book.pages = [docs[name] for name in _toc_order(docs, book.diagnostics, unreadable)]
    check_book(book)
    return book


def _ref_label(target: str) -> str:
    match = _REF_TARGET.search(target)
    return (match.group(1) if match else target).strip()


def check_book(book: Book) -> None:
    """Duplicate labels, references to no label, and images that are missing or outside."""
    diags = book.diagnostics
    root = str(book.config.root.resolve())
    defined: dict[str, tuple[str, int]] = {}
    for doc in book.pages:
        for label, line in doc.labels():
            if label in defined:
                first_path, first_line = defined[label]
                diags.add(
                    Kind.LABEL_DUPLICATE,
                    f"label {label!r} is already defined at {first_path}:{first_line}",
                    doc.display_path,
                    line,
                )
            else:
                defined[label] = (doc.display_path, line)
    for doc in book.pages:
        for role in doc.references():
            label = _ref_label(role.target)
            if label not in defined:
                diags.add(
                    Kind.REF_UNKNOWN, f":{role.name}: to unknown label {label!r}", doc.display_path, role.line
                )
        _check_images(doc, root, diags)
        _check_files(doc, root, diags)
    _check_resources(book.config, diags)


def _inside(root: str, path: str) -> bool:
    """Whether ``path`` (absolute, normalised) is ``root`` or below it."""
    return path == root or path.startswith(root + os.sep)


def _check_images(doc: Document, root: str, diags: Diagnostics) -> None:
    """Images a page shows: outside the book is an error (``../../x.png``), missing a warning.

    Paths are normalised as written, not resolved through links: a link inside the book is the
    author's choice (chapters are trusted), and resolving every image took most of a no-op build.
    """
    folder = str(doc.path.parent)
    for target, line in _images(doc):
        if not target or _URL.match(target) or target.startswith("#"):
            continue
        resolved = os.path.normpath(os.path.join(folder, target.split("#")[0].split("?")[0]))
        if not _inside(root, resolved):
            diags.add(
                Kind.IMAGE_OUTSIDE, f"image {target!r} is outside the book's folder", doc.display_path, line
            )
        elif not os.path.isfile(resolved):
            diags.add(Kind.IMAGE_MISSING, f"image {target!r} does not exist", doc.display_path, line)


def _check_files(doc: Document, root: str, diags: Diagnostics) -> None:
    """Files read by ``eval_rst`` directives: one outside the book is an error; a missing one a
    warning, and its directive is left out of the page (docutils would stop on it)."""
    for block in doc.text_blocks:
        missing = []
        for directive, target, line in block.files:
            resolved = Path(os.path.normpath(os.path.join(doc.path.parent, target)))
            if not _inside(root, str(resolved)):
                diags.add(
                    Kind.FILE_OUTSIDE,
                    f"`.. {directive}::` reads {target!r}, outside the book's folder",
                    doc.display_path,
                    line,
                )
                missing.append(target)
            elif not resolved.is_file():
                diags.add(
                    Kind.FILE_MISSING,
                    f"`.. {directive}::` reads {target!r}, which does not exist; the directive is left out",
                    doc.display_path,
                    line,
                )
                missing.append(target)
        block.missing_files = tuple(missing)


def _check_resources(config: BookConfig, diags: Diagnostics) -> None:
    """Every file the configuration names exists: resources, logo, favicon, styles, scripts."""
    named: list[tuple[str, str]] = [("resources", r) for r in config.resources]
    named += [
        (field, value)
        for field in ("logo", "favicon", "latex_logo", "version_file")
        if (value := getattr(config, field))
    ]
    named += [("css", c) for c in config.css] + [("js", j) for j in config.js]
    for setting, target in named:
        if not (config.root / target).exists():
            where = config.where(setting)
            diags.add(Kind.RESOURCE_MISSING, f"{target!r} does not exist", where.path, where.line)


def _images(doc: Document) -> Iterable[tuple[str, int]]:
    for block in doc.text_blocks:
        yield from block.images
