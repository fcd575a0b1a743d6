"""The book's pair files, page by page: where they are, syncing and linting one, its status.

A pair file (``translations/<lang>/<page>.md``) reads like the source chapter with each text
block followed by its translation (see :mod:`polybook.i18n.pairs` for the layouts it reads and
:mod:`polybook.i18n.sync` for the one it writes). The project calls these per page and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics, Kind
from ..fsutil import read_source
from ..source.book import Book
from ..source.document import Document
from .blocks import Chapter, elements
from .lint import Term, check_glossary, check_pair
from .pairs import read_pairs
from .status import Status, status_of
from .sync import PageSync, carry, sync_page
from .untrusted import check_untrusted


@dataclass
class PageResult:
    """What a translate command found or did for one page."""

    page: str
    path: Path
    status: Status | None
    """None when the page was skipped (``init`` of a page that has its file already)."""
    changed: bool = False
    created: bool = False
    skipped: bool = False
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    """Warnings of the run: blocks that paired with nothing, blocks the final check kept."""


def pair_file(book_root: Path, pages_root: Path, lang: str, page_path: Path) -> Path:
    """``translations/<lang>/`` mirrors the pages folder."""
    return book_root / "translations" / lang / page_path.resolve().relative_to(pages_root)


def read_pair_file(book: Book, lang: str, doc: Document) -> str | None:
    """The text of ``doc``'s pair file in ``lang``, or None when there is none yet."""
    path = pair_file(book.config.root, book.config.pages_root, lang, doc.path)
    return read_source(path) if path.is_file() else None


def sync_text(doc: Document, source_text: str, pair_text: str | None) -> tuple[str, Status]:
    """The pair file brought up to date with the chapter, and its status."""
    result = sync_page(Chapter.of(source_text), pair_text, doc.name)
    return result.text, result.status


def sync_one(
    doc: Document, source_text: str, pair_text: str | None, path: str, chapter_path: str, *, write: bool
) -> PageSync:
    """:func:`~polybook.i18n.sync.sync_page`, with the units left to do located in the file as it
    will be on disk (the rewrite when ``write``, else the file as it is)."""
    chapter = Chapter.of(source_text)
    result = sync_page(chapter, pair_text, doc.name, path)
    on_disk = result.text if write else pair_text
    if on_disk is None:
        pairs, orphans = result.pairs, result.orphans
    else:
        pairs, orphans = carry(chapter, read_pairs(on_disk, chapter))
    result.status = status_of(
        doc.name,
        pairs,
        orphans,
        pair_path=path,
        chapter_path=chapter_path,
        unit_lines=[u.line for u in chapter.units],
    )
    return result


def unpaired_warnings(result: PageSync, path: str, diags: Diagnostics) -> None:
    """A warning for each block a rewrite kept in the orphaned section because it paired with nothing."""
    for pair in result.unpaired:
        diags.add(
            Kind.TRANSLATION_UNPAIRED,
            f"{_first_words(pair.translation)!r} pairs with no source block: kept in the orphaned section",
            path,
            pair.line,
        )
    for piece in result.rescued:
        diags.add(
            Kind.TRANSLATION_UNPAIRED,
            f"{_first_words(piece.text)!r} could not be placed: kept in the orphaned section",
            path,
            piece.line,
        )


def _first_words(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 50 else words[:49] + "…"


def page_status(doc: Document, source_text: str, pair_text: str | None) -> Status:
    """What a sync would report, without writing the pair file out."""
    return sync_page(Chapter.of(source_text), pair_text, doc.name).status


def check_untrusted_file(
    source_text: str, pair_text: str, path: str, page_dir: Path, root: Path, diags: Diagnostics
) -> None:
    """Report what a pair file may not bring into the site, wherever in it: its translations and
    drafts, its orphans, and any code, equation or HTML block the chapter does not have."""
    chapter = Chapter.of(source_text)
    pairs, orphans = carry(chapter, read_pairs(pair_text, chapter))
    for pair in pairs:
        if pair.translation:
            check_untrusted(pair.source, pair.translation, path, pair.line, page_dir, root, diags)
        if pair.draft:
            check_untrusted(pair.source, pair.draft, path, pair.draft_line, page_dir, root, diags)
    for orphan in orphans:
        check_untrusted(orphan.source, orphan.translation, path, orphan.line, page_dir, root, diags)
    ours = {e.text for e in chapter.elements}
    for element in elements(pair_text):
        if element.role == "struct" and element.text not in ours:
            check_untrusted("", element.text, path, element.line, page_dir, root, diags)


def check_file(
    source_text: str,
    pair_text: str,
    path: str,
    diags: Diagnostics,
    *,
    page_dir: Path,
    root: Path,
    terms: list[Term] | None = None,
) -> None:
    """Lint every pair of one pair file: marks (:mod:`~polybook.i18n.lint`), what a translation may
    not bring (:mod:`~polybook.i18n.untrusted`), the glossary; blocks that pair with nothing."""
    chapter = Chapter.of(source_text)
    held = read_pairs(pair_text, chapter)
    pairs, _ = carry(chapter, held)
    for pair in pairs:
        if pair.translation and pair.line:
            check_pair(pair.source, pair.translation, path, pair.line, diags)
            check_glossary(terms or [], pair.source, pair.translation, path, pair.line, diags)
        for line, mark in pair.extra_marks:
            diags.add(
                Kind.TRANSLATION_EXTRA,
                f"{mark.strip()!r} under a translation: marks come from the source",
                path,
                line,
            )
    check_untrusted_file(source_text, pair_text, path, page_dir, root, diags)
    for element in elements(pair_text):
        if element.kind == "unclosed":
            diags.add(
                Kind.TRANSLATION_UNCLOSED,
                f"{element.text.strip()[:3]!r} opens a fence or an equation that is never closed: "
                "everything after it would be part of it",
                path,
                element.line,
            )
    for pair in held.unpaired:
        diags.add(
            Kind.TRANSLATION_UNPAIRED,
            f"{_first_words(pair.translation)!r} pairs with no source block: "
            "sync keeps it in the orphaned section",
            path,
            pair.line,
        )
