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
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import BookConfig
from .document import Document
from .errors import Diagnostics, Kind
from .parser import parse_page

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


def discover_pages(config: BookConfig) -> dict[str, Path]:
    """Every Markdown page under the pages folder, by page name (``chapter_x/y``)."""
    root = config.pages_root
    pages: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and d not in _SKIP_DIRS)
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
    for module in ("markdown", "cells", "parser", "document", "errors", "myst"):
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return digest.hexdigest()


ParseJob = tuple[str, Path, str, tuple[str, ...], "Path | None"]


def _entry(job: ParseJob, text: str) -> Path | None:
    """Where the parse cache keeps this page: named by its content (and its name, frameworks,
    and the parser's own code), never by a file's date."""
    name, path, shown, frameworks, cache = job
    if cache is None:
        return None
    key = hashlib.sha256(json.dumps([_parser_digest(), name, str(path), shown, frameworks, text]).encode())
    return cache / f"{key.hexdigest()}.pickle"


def _load_entry(entry: Path) -> tuple[Document, Diagnostics] | None:
    try:
        with open(entry, "rb") as handle:
            cached: tuple[Document, Diagnostics] = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        return None
    return cached


def _parse_one(job: ParseJob) -> tuple[Document, Diagnostics]:
    """Parse one page and keep the result in the parse cache (a pickle written atomically)."""
    name, path, shown, frameworks, _ = job
    text = path.read_text(encoding="utf-8")
    entry = _entry(job, text)
    diags = Diagnostics()
    doc = parse_page(text, name, path, shown, frameworks, diags)
    if entry is not None:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump((doc, diags), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
    return doc, diags


def _toc_order(docs: dict[str, Document], diags: Diagnostics) -> list[str]:
    """Page names depth-first from ``index`` through the toc blocks, then the rest, sorted."""
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
            else:
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


def load_book(config: BookConfig, jobs: int = 1, cache: Path | None = None) -> Book:
    """Parse every page of the book and run the checks that span pages.

    :param cache: a folder for the parse cache (pages whose text is unchanged are not parsed).
    """
    book = Book(config)
    frameworks = tuple(fw.name for fw in config.frameworks)
    work: list[ParseJob] = [
        (name, path, display_path(path), frameworks, cache) for name, path in discover_pages(config).items()
    ]
    results: list[tuple[Document, Diagnostics]] = []
    missing: list[ParseJob] = []
    for job in work:  # pages parsed before come from the cache, without starting any process
        entry = _entry(job, job[1].read_text(encoding="utf-8"))
        found = _load_entry(entry) if entry is not None else None
        if found is None:
            missing.append(job)
        else:
            results.append(found)
    if jobs > 1 and len(missing) > 16:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results += pool.map(_parse_one, missing, chunksize=max(1, len(missing) // (jobs * 4)))
    else:
        results += [_parse_one(job) for job in missing]
    docs = {}
    for doc, diags in results:
        docs[doc.name] = doc
        book.diagnostics.extend(diags)
    book.pages = [docs[name] for name in _toc_order(docs, book.diagnostics)]
    check_book(book)
    return book


def _ref_label(target: str) -> str:
    match = _REF_TARGET.search(target)
    return (match.group(1) if match else target).strip()


def check_book(book: Book) -> None:
    """Duplicate labels, references to no label, and images that are missing or outside."""
    diags = book.diagnostics
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
        _check_images(doc, book.config.root, diags)


def _check_images(doc: Document, root: Path, diags: Diagnostics) -> None:
    root = root.resolve()
    for target, line in _images(doc):
        if not target or _URL.match(target) or target.startswith("#"):
            continue
        resolved = (doc.path.parent / target.split("#")[0].split("?")[0]).resolve()
        if not resolved.is_relative_to(root):
            diags.add(
                Kind.IMAGE_OUTSIDE, f"image {target!r} is outside the book's folder", doc.display_path, line
            )
        elif not resolved.is_file():
            diags.add(Kind.IMAGE_MISSING, f"image {target!r} does not exist", doc.display_path, line)


def _images(doc: Document) -> Iterable[tuple[str, int]]:
    for block in doc.text_blocks:
        yield from block.images
