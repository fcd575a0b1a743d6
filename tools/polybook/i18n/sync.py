"""Bringing a pair file up to date with its chapter, in polybook's own layout, losing nothing.

The pairs a file holds (:func:`polybook.i18n.pairs.read_pairs`) are carried over to today's
units: a pair whose source changed keeps its translation and is marked stale with its previous
source beside it; an orphan whose source came back takes its place again; everything else a
translator wrote goes to the orphaned section at the end. Then one check, independent of how
the file was read, compares what the file held with what the rewrite holds
(:func:`lost`): whatever would be lost is orphaned instead, and if even that fails, nothing is
written (:class:`TranslationLoss`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import LocatedError
from .blocks import (
    ORPHANED,
    STALE,
    UNPAIRED,
    UNTRANSLATED,
    Chapter,
    Unit,
    elements,
    escape_comment,
    unescape_comment,
)
from .pairs import Pair, PairFile, Piece, read_pairs
from .status import Status, status_of

HEADER = """\
<!-- polybook pair file: each block of the chapter is followed by its translation.
Write yours in place of "polybook:untranslated" (for a list item: under the item's text,
indented as it is). "polybook:stale" shows the text a translation was made from before the
chapter changed: update the translation, then delete that note. A "polybook:draft" is a
suggestion, not counted as translated: check it, then delete its note. Code, math and marks
(:label:, :width:) come from the chapter: a mark under a translation is not used. Blocks
under "polybook:orphaned" lost their source; "translate sync" never deletes a word. -->
"""

DRAFT_NOTE = "<!-- polybook:draft {origin} -->"


class TranslationLoss(LocatedError):
    """A rewrite of a pair file would lose a translator's words: nothing is written."""


@dataclass
class PageSync:
    """A pair file brought up to date: its text, its status, and what needs a warning."""

    text: str
    status: Status
    pairs: list[Pair]
    orphans: list[Pair]
    unpaired: list[Pair] = field(default_factory=list)
    """Blocks that paired with no source block (kept in the orphaned section)."""
    rescued: list[Piece] = field(default_factory=list)
    """Blocks the reading missed and the final check put in the orphaned section."""


def carry(chapter: Chapter, held: PairFile) -> tuple[list[Pair], list[Pair]]:
    """One pair per unit of today's chapter, and the orphans, from what a file holds."""
    pairs = [Pair(u.text, item=u.item) for u in chapter.units]
    for old in held.pairs:
        if old.unit is None:
            continue
        pair = pairs[old.unit]
        pair.source_line = old.source_line
        if not (old.translation or old.draft):
            continue
        pair.translation, pair.line, pair.extra_marks = old.translation, old.line, old.extra_marks
        pair.draft, pair.draft_from, pair.draft_line = old.draft, old.draft_from, old.draft_line
        # a note whose old text is today's again (an edit undone) is no longer stale
        pair.previous = old.previous if old.previous != pair.source else None
    return pairs, revive(pairs, held.orphans)


def revive(pairs: list[Pair], orphans: list[Pair]) -> list[Pair]:
    """An orphan whose source came back (an edit undone, a block moved) takes its place again."""
    kept = []
    for orphan in orphans:
        home = next(
            (p for p in pairs if orphan.source and p.source == orphan.source and not p.translation), None
        )
        if home is not None and orphan.translation:
            home.translation, home.previous, home.line = orphan.translation, orphan.previous, orphan.line
        elif orphan.translation:
            kept.append(orphan)
    return kept


def _indented(lines: list[str], indent: str) -> list[str]:
    return [f"{indent}{ln}" if ln.strip() else "" for ln in lines]


def _chunk(unit: Unit, pair: Pair, chapter_marks: set[str]) -> list[str]:
    """What goes under a unit: its slot, or its translation (with its notes and draft)."""
    chunk: list[str] = []
    if pair.translation:
        if pair.previous is not None:
            previous = escape_comment(pair.previous)
            chunk += ["", f"{STALE} — the source changed; it was:", *previous.split("\n"), "-->"]
        chunk += ["", *pair.translation.split("\n")]
        chunk += [mark for _, mark in pair.extra_marks if mark.strip() not in chapter_marks]
    elif not pair.draft:
        chunk += ["", UNTRANSLATED]
    if pair.draft:
        chunk += [
            "",
            DRAFT_NOTE.format(origin=pair.draft_from).replace("  ", " "),
            "",
            *pair.draft.split("\n"),
        ]
    return _indented(chunk, unit.indent)


def render(chapter: Chapter, pairs: list[Pair], orphans: list[Pair]) -> str:
    """The pair file: the chapter with each unit's translation inserted after it."""
    lines = chapter.text.rstrip("\n").split("\n")
    marks = {e.text.strip() for e in chapter.elements if e.role == "mark"}
    inserts = {
        unit.after: (_chunk(unit, pair, marks), unit.item)
        for unit, pair in zip(chapter.units, pairs, strict=True)
    }
    out: list[str] = [*HEADER.rstrip("\n").split("\n"), ""]
    for index, line in enumerate(lines):
        out.append(line)
        if index in inserts:
            chunk, item = inserts[index]
            out += chunk
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following.strip() and not item:
                out.append("")  # a block needs a blank line before what follows
    if orphans:
        out += ["", f"{ORPHANED} -->", ""]
        for pair in orphans:
            if pair.source:
                out += [
                    *_orphan_block(pair.source, pair.item),
                    "",
                    *_orphan_block(pair.translation, pair.item),
                    "",
                ]
            else:
                out += [f"{UNPAIRED} -->", "", *_orphan_block(pair.translation, pair.item), ""]
        while out and not out[-1]:
            out.pop()
    return "\n".join(out) + "\n"


def _orphan_block(text: str, item: bool) -> list[str]:
    """An orphan's text as lines that read back as one block: a list item's (its nested list,
    dedented, would otherwise read as a list of its own) or a text of several blocks is written
    as a list item."""
    lines = text.split("\n")
    if not item and len(elements(text)) <= 1:
        return lines
    return [f"* {lines[0]}", *(f"  {ln}" if ln.strip() else "" for ln in lines[1:])]


def _normal(text: str) -> list[str]:
    """Lines as the loss check compares them: without indentation, bullets and blank lines."""
    found = []
    for line in text.split("\n"):
        line = line.strip()
        while line[:2] in ("* ", "- ", "+ "):  # a nested bullet's text too
            line = line[2:].strip()
        head, dot, rest = line.partition(". ")
        if dot and head.isdigit():
            line = rest.strip()
        if line:
            found.append(line)
    return found


def _occurrences(haystack: str, needle: str) -> int:
    count, start = 0, haystack.find(needle)
    while start >= 0:
        count += 1
        start = haystack.find(needle, start + 1)
    return count


def _needle(text: str) -> str:
    return "\n" + "\n".join(_normal(text)) + "\n"


def lost(kept: list[Piece], new_text: str, chapter_text: str) -> list[Piece]:
    """The pieces of ``kept`` that ``new_text`` no longer holds. A translation equal to a line of
    the chapter must still be there as a translation, beyond the chapter's own copy; an old
    source text may be the chapter's again (an edit undone)."""
    after = _needle(unescape_comment(new_text))
    chapter = _needle(chapter_text)
    wanted = Counter((_needle(p.text), p.source) for p in kept if _normal(p.text))
    missing = set()
    for (needle, source), count in wanted.items():
        have = _occurrences(after, needle) - (0 if source else _occurrences(chapter, needle))
        if have < count:
            missing.add(needle)
    return [p for p in kept if _normal(p.text) and _needle(p.text) in missing]


def sync_page(chapter: Chapter, pair_text: str | None, page: str = "", path: str = "") -> PageSync:
    """The pair file brought up to date with the chapter (``pair_text`` None: a new one)."""
    held = read_pairs(pair_text, chapter) if pair_text is not None else PairFile()
    pairs, orphans = carry(chapter, held)
    text = render(chapter, pairs, orphans)
    rescued = lost(held.kept, text, chapter.text)
    if rescued:
        orphans += [Pair("", piece.text, line=piece.line) for piece in rescued]
        text = render(chapter, pairs, orphans)
        if lost(held.kept, text, chapter.text):
            first = lost(held.kept, text, chapter.text)[0]
            raise TranslationLoss(
                "rewriting this pair file would lose the block here; it was left as it is",
                path=path,
                line=first.line,
            )
    status = status_of(page, pairs, orphans)
    return PageSync(text, status, pairs, orphans, held.unpaired, rescued)


def aligned_pairs(chapter: Chapter, pair_text: str | None) -> tuple[list[Pair], list[Pair]]:
    """One pair per unit, and the orphans, read from a pair file: how sync, status and the
    site all see a pair file, so they never disagree about what is translated."""
    if pair_text is None:
        return [Pair(u.text, item=u.item) for u in chapter.units], []
    return carry(chapter, read_pairs(pair_text, chapter))
