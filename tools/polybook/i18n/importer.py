"""`polybook translate import`: pair files from a translation made elsewhere.

Three kinds of folder, recognised by what they hold:

- a d2lbook translation: ``X.md`` translated beside ``X_origin.md``, the English it was made
  from. The two are aligned by content (:func:`align_origin`): code cells, equations and labels
  both share cut the page into windows, and inside each window the blocks are paired by anchors
  and length (:func:`polybook.i18n.align.pair_translations`). A translated page rarely has its
  origin's structure exactly (a translator's note, a merged paragraph, an untranslated title);
  position decides nothing. The pairs are then carried to today's chapter: those whose English
  changed since come in stale;
- pair files in a translator's own layout (``X.md`` with no ``X_origin.md``): read as pair files;
- the PO or XLIFF files of ``translate export`` (:mod:`polybook.i18n.exchange`).

An existing pair file is merged, never overwritten: its translations stay, and an imported one
that differs goes to the orphaned section. Each page gets a report (pairs by anchor, by length,
blocks left unpaired) and a warning per unpaired block.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics, Kind
from ..fsutil import decode_foreign
from . import align
from .align import CHANGED, Scripts
from .blocks import Chapter, Element, elements, prose, units
from .pairs import Pair, PairFile, Piece, read_pairs
from .status import status_of
from .sync import PageSync, carry, lost, render, revive


@dataclass
class ImportReport:
    """How one page's translation was paired with its source."""

    page: str
    anchor: int = 0
    length: int = 0
    unpaired: int = 0
    """Blocks of the translation that paired with no source block (kept as orphans)."""
    untranslated: int = 0
    """Blocks of the origin that no translation paired with."""

    def record(self) -> dict[str, object]:
        return {
            "page": self.page,
            "anchor": self.anchor,
            "length": self.length,
            "unpaired": self.unpaired,
            "untranslated": self.untranslated,
        }


def import_table(reports: list[ImportReport]) -> list[str]:
    """How each page was paired, as the lines of a table."""
    lines = [f"{'page':<55} {'anchor':>6} {'length':>6} {'unpaired':>8} {'untransl':>8}"]
    for r in reports:
        lines.append(f"{r.page:<55} {r.anchor:>6} {r.length:>6} {r.unpaired:>8} {r.untranslated:>8}")
    return lines


@dataclass
class Imported:
    """One page brought in: the pair file to write and how it was paired."""

    sync: PageSync
    report: ImportReport
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def _content(found: list[Element]) -> list[Element]:
    return [e for e in found if e.role in ("text", "item", "struct", "mark")]


def _anchor_key(element: Element) -> str | None:
    """Blocks a translation keeps as they are: code, equations, mark lines."""
    if element.role == "mark" or (element.role == "struct" and element.kind in ("fence", "math")):
        return f"{element.role}\0{element.text}"
    return None


def _block(element: Element) -> align.Block:
    return align.Block(element.text, "item" if element.role == "item" else element.kind, element.tab)


def align_origin(
    origin_text: str, translated_text: str, report: ImportReport
) -> tuple[list[Pair], list[Element], list[Element]]:
    """Pairs (origin text, translation) of a d2lbook page; the translated blocks that paired
    with nothing; the origin's translatable blocks that nothing translates."""
    origin = _content(elements(origin_text))
    translated = _content(elements(translated_text))
    origin_units = {(u.line, u.item) for u in units(origin_text)}
    keys = [_anchor_key(e) for e in origin]
    theirs = [_anchor_key(e) for e in translated]
    # anchors equal in both cut the pages into windows (None never equals None: distinct objects)
    shared = align._lcs([k or object() for k in keys], [k or object() for k in theirs])  # type: ignore[misc]
    bounds = [(-1, -1), *shared, (len(origin), len(translated))]
    scripts = Scripts.of(units(origin_text), translated_text)
    ratio = scripts.ratio
    pairs: list[Pair] = []
    unpaired: list[Element] = []
    untranslated: list[Element] = []
    for (i0, j0), (i1, j1) in itertools.pairwise(bounds):
        sources = [e for e in origin[i0 + 1 : i1] if (e.line, e.role == "item") in origin_units]
        # code whose comments or strings were translated (polybook takes code from the chapter),
        # a translator's HTML comment: no pair; kept as an orphan all the same, with its warning
        window = translated[j0 + 1 : j1]
        unpaired += [
            e
            for e in window
            if e.role == "struct" and e.kind in ("fence", "html") and scripts.written_in_target(e.text)
        ]
        # a translator's note is the translation of no block
        unpaired += [e for e in window if e.role == "text" and align.TRANSLATORS_NOTE.match(e.text)]
        targets = [
            e
            for e in window
            if (e.role in ("text", "item") and prose(e.text) and not align.TRANSLATORS_NOTE.match(e.text))
            or (e.role == "struct" and e.kind == "math")
        ]
        if not sources:
            unpaired += [t for t in targets if t.role != "struct"]
            continue
        links = align.pair_translations([_block(s) for s in sources], [_block(t) for t in targets], ratio)
        for link in links:
            if link.source is None and link.translation is not None:
                target = targets[link.translation]
                if target.role != "struct" or target.text not in origin_text:
                    unpaired.append(target)
            elif link.translation is None and link.source is not None:
                untranslated.append(sources[link.source])
                pairs.append(Pair(sources[link.source].text, item=sources[link.source].role == "item"))
            elif link.source is not None and link.translation is not None:
                source, target = sources[link.source], targets[link.translation]
                same = source.text == target.text  # left in English: not a translation
                pairs.append(Pair(source.text, "" if same else target.text, item=source.role == "item"))
                if link.how == "anchor":
                    report.anchor += 1
                else:
                    report.length += 1
    report.unpaired, report.untranslated = len(unpaired), len(untranslated)
    return pairs, unpaired, untranslated


def carry_over(old: list[Pair], chapter: Chapter) -> tuple[list[Pair], list[Pair]]:
    """Pairs made from an older source, carried to today's units: a pair whose source changed is
    stale with its old source beside it; one whose source is gone is an orphan."""
    found = align.match(
        [p.source for p in old], [u.text for u in chapter.units], align_scores(old, chapter), CHANGED
    )
    pairs = [Pair(u.text, item=u.item) for u in chapter.units]
    orphans = []
    for index, pair in enumerate(old):
        target = found.get(index)
        if target is None or chapter.units[target].item != pair.item:
            if pair.translation:
                orphans.append(Pair(pair.source, pair.translation))
            continue
        new = pairs[target]
        new.translation, new.draft, new.draft_from = pair.translation, pair.draft, pair.draft_from
        if pair.source != new.source:
            new.previous = pair.previous if pair.previous is not None else pair.source
        else:
            new.previous = pair.previous
    return pairs, revive(pairs, orphans)  # a block moved since: its translation goes with it


def align_scores(old: list[Pair], chapter: Chapter) -> align.Scores:
    def scores(olds: list[int], news: list[int]) -> list[list[float]]:
        table = align.similarities([old[i].source for i in olds], [chapter.units[j].text for j in news])
        for r, i in enumerate(olds):
            for c, j in enumerate(news):
                if old[i].item != chapter.units[j].item:
                    table[r][c] = 0.0
        return table

    return scores


def merge(
    chapter: Chapter,
    existing: str | None,
    incoming: list[Pair],
    orphans: list[Pair],
    *,
    incoming_wins: bool,
) -> tuple[list[Pair], list[Pair], list[Piece]]:
    """Today's pairs from an existing pair file and imported ones; the orphans; and what the
    existing file held that the result must keep.

    :param incoming_wins: an imported translation replaces a different existing one (PO and
        XLIFF, edited in a translation tool); otherwise the existing one stays and the imported
        one is orphaned (a d2lbook translation met a pair file translated since).
    """
    held = read_pairs(existing, chapter) if existing is not None else PairFile()
    pairs, kept_orphans = carry(chapter, held)
    replaced: set[str] = set()
    for pair, new in zip(pairs, incoming, strict=True):
        if new.draft and not pair.draft:
            pair.draft, pair.draft_from = new.draft, new.draft_from
        if not new.translation or new.translation == pair.translation:
            if new.translation:
                pair.previous = new.previous
            continue
        if not pair.translation:
            pair.translation, pair.previous = new.translation, new.previous
        elif incoming_wins:
            replaced.add(pair.translation)
            pair.translation, pair.previous = new.translation, new.previous
        else:
            orphans.append(Pair(new.source, new.translation))
    known = {p.translation for p in [*pairs, *kept_orphans]}
    fresh = [o for o in orphans if o.translation not in known]
    kept = [p for p in held.kept if p.text not in replaced]
    return pairs, kept_orphans + fresh, kept


def _union(ours: list[Piece], theirs: list[Piece]) -> list[Piece]:
    """What two readings must keep: a text both hold is kept once (as often as either holds it)."""
    have = Counter(p.text for p in ours)
    seen: Counter[str] = Counter()
    union = list(ours)
    for piece in theirs:
        seen[piece.text] += 1
        if seen[piece.text] > have[piece.text]:
            union.append(piece)
    return union


def write_merged(
    chapter: Chapter,
    page: str,
    existing: str | None,
    incoming: list[Pair],
    orphans: list[Pair],
    *,
    incoming_wins: bool,
    extra_kept: list[Piece] = (),  # type: ignore[assignment]
) -> PageSync:
    """The pair file of an import, checked like a sync: whatever it would lose is orphaned."""
    pairs, all_orphans, kept = merge(chapter, existing, incoming, orphans, incoming_wins=incoming_wins)
    kept = _union(kept, list(extra_kept))
    text = render(chapter, pairs, all_orphans)
    rescued = lost(kept, text, chapter.text)
    if rescued:
        all_orphans += [Pair("", p.text, line=p.line) for p in rescued]
        text = render(chapter, pairs, all_orphans)
    return PageSync(text, status_of(page, pairs, all_orphans), pairs, all_orphans, [], rescued)


def read_foreign(path: Path, shown: str, diags: Diagnostics) -> str:
    """A file made elsewhere, in whatever encoding it was written in; a warning names the
    encoding when it is not UTF-8 (the pair file is written in UTF-8).

    :raises EncodingError: when no encoding reads it.
    """
    text, encoding = decode_foreign(path.read_bytes(), shown)
    if encoding != "utf-8":
        diags.add(Kind.ENCODING_GUESSED, f"not UTF-8: read as {encoding}, written in UTF-8", shown, 1)
    return text


def import_d2lbook_page(
    chapter: Chapter,
    page: str,
    origin_path: Path,
    translated_path: Path,
    existing: str | None,
    shown: tuple[str, str],
) -> Imported:
    """One page of a d2lbook translation; ``shown`` are the two files' paths for messages."""
    report = ImportReport(page)
    read = Diagnostics()
    origin_text = read_foreign(origin_path, shown[0], read)
    translated_text = read_foreign(translated_path, shown[1], read)
    old, unpaired, untranslated = align_origin(origin_text, translated_text, report)
    pairs, orphans = carry_over(old, chapter)
    orphans += [Pair("", e.text, line=e.line) for e in unpaired]
    extra = [Piece(p.translation, 0) for p in old if p.translation]
    extra += [Piece(e.text, e.line) for e in unpaired]
    result = Imported(
        write_merged(chapter, page, existing, pairs, orphans, incoming_wins=False, extra_kept=extra),
        report,
        read,
    )
    for element in unpaired:
        result.diagnostics.add(
            Kind.TRANSLATION_UNPAIRED,
            "this block of the translation pairs with no block of its origin: kept as an orphan",
            shown[1],
            element.line,
        )
    for element in untranslated:
        result.diagnostics.add(
            Kind.TRANSLATION_UNPAIRED,
            "no block of the translation pairs with this block: it comes in untranslated",
            shown[0],
            element.line,
        )
    return result


def import_pair_file_page(
    chapter: Chapter, page: str, path: Path, existing: str | None, shown: str
) -> Imported:
    """One page given as a pair file in a translator's layout (no ``_origin`` beside it)."""
    read = Diagnostics()
    text = read_foreign(path, shown, read)
    held = read_pairs(text, chapter)
    pairs, orphans = carry(chapter, held)
    report = ImportReport(page, anchor=sum(1 for p in pairs if p.translation), unpaired=len(held.unpaired))
    result = Imported(
        write_merged(chapter, page, existing, pairs, orphans, incoming_wins=False, extra_kept=held.kept),
        report,
        read,
    )
    for pair in held.unpaired:
        result.diagnostics.add(
            Kind.TRANSLATION_UNPAIRED,
            "this block pairs with no source block: kept as an orphan",
            shown,
            pair.line,
        )
    return result
