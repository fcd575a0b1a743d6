"""Reading a pair file: which of its blocks are source blocks and which translations.

A pair file is read against today's chapter, whatever layout a translator wrote it in:

- polybook's own (each source block followed by its translation, a slot, a stale note or a
  draft; a list item holding its translation under its text, or in a nested bullet);
- an English list followed by its translated list; headings given twice on consecutive lines,
  or on one line (either language first); prose tabs whose English paragraphs all come before
  their translations; a translation written after an equation, a code cell or a figure that
  follows its source, or on the lines right under its paragraph;
- and any mix of them, with source blocks edited, moved or deleted since.

Source blocks are recognised by content (:func:`polybook.i18n.align.match`: equal blocks, then
edited ones by their words); every other block with words is a translation, except a block in
the source's script that can translate none of the sources before it: a source deleted since,
which takes the translation written for it along to the orphans. Each run of translations is
paired with the run of source blocks before it by anchors and length
(:func:`polybook.i18n.align.pair_translations`). A translation that pairs with nothing, code
whose comments were translated and a translator's HTML comment are kept as orphans, never
dropped. :class:`Piece` records what a reading must keep.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from . import align, layouts
from .align import CHANGED, TRANSLATORS_NOTE, Scripts
from .blocks import (
    ATTACHED_MARK,
    HEADER,
    TRANSLATABLE,
    Chapter,
    Element,
    prose,
)
from .layouts import Part, heading_titles, parts_of

HEADER_END = "-->"
MOVED = 0.85
"""How similar a block must be to one of today's, outside its place, to be that one moved and
edited (a translation in the source's script that repeats another block is less alike)."""
CLEARLY = 1.5
"""How much lower a pairing's cost must be to beat the block right after a source."""
REPEATS = 0.5
"""How much a translation in the source's script must repeat its source (names, numbers, a
bibliography line translated by copying most of it): see :func:`polybook.i18n.align.repeated`."""
PROSE_KINDS = {"paragraph", "caption"}
"""Kinds of block one may translate the other (a caption written as a plain paragraph)."""


@dataclass
class Pair:
    """A source text and its translation, as a pair file holds them."""

    source: str
    translation: str = ""
    previous: str | None = None
    """For a stale pair: the source text the translation was made from."""
    item: bool = False
    line: int = 0
    """Line of the translation in the pair file (1-based; 0 when there is none)."""
    extra_marks: list[tuple[int, str]] = field(default_factory=list)
    """Mark lines (``:label:``…) written under the translation: marks come from the source."""
    draft: str = ""
    """A suggested translation (translation memory, machine translation): never counted."""
    draft_from: str = ""
    """Where the draft came from: ``score=0.87``, ``mt=argos``."""
    draft_line: int = 0
    unit: int | None = None
    """Index of today's unit whose source this is (None: a source no longer in the chapter)."""
    source_line: int = 0


@dataclass(frozen=True)
class Piece:
    """Text of a pair file that a rewrite must keep: a translation, an old source, an orphan."""

    text: str
    line: int
    source: bool = False
    """An old source text: its copy in the chapter counts (a translation must be there as one)."""


@dataclass
class PairFile:
    pairs: list[Pair] = field(default_factory=list)
    """Pairs whose source is one of today's units (``unit`` set), in file order."""
    orphans: list[Pair] = field(default_factory=list)
    """Pairs of the orphaned section, and translations that paired with no source block
    (``source`` empty): they go to the orphaned section."""
    unpaired: list[Pair] = field(default_factory=list)
    """Of the orphans, the blocks this reading could not pair (each worth a warning)."""
    gone: list[Pair] = field(default_factory=list)
    """Of the orphans, pairs whose source block is no longer in the chapter."""
    kept: list[Piece] = field(default_factory=list)
    """What any rewrite of the file must still hold (see :mod:`polybook.i18n.sync`)."""


# -- which parts are today's source blocks --------------------------------------------------------


def _key(part: Part) -> str:
    return f"{part.cls}\0{part.text}"


def _chapter_key(element: Element) -> str:
    return f"{element.role}\0{element.text}"


def _recognise(main: list[Part], chapter: Chapter, scripts: Scripts) -> None:
    """Mark each part: a source block of today's chapter (equal or edited), structure the chapter
    has, or a translation."""
    content = [p for p in main if p.what in ("open", "source") and p.element.role != "mark"]
    chapter_content = [e for e in chapter.elements if e.role in ("text", "item", "struct")]
    unit_at = {(u.line, u.item): i for i, u in enumerate(chapter.units)}
    keys = [_key(p) for p in content]
    theirs = [_chapter_key(e) for e in chapter_content]
    found = dict(align._lcs(keys, theirs))
    taken: set[int] = set()
    for index, part in enumerate(content):
        if index in found:
            element = chapter_content[found[index]]
            unit = unit_at.get((element.line, element.role == "item"))
            part.what, part.unit = ("source", unit) if unit is not None else ("struct", None)
            if unit is not None:
                taken.add(unit)
    bounds = [(-1, -1), *sorted(found.items()), (len(content), len(chapter_content))]
    for (i0, j0), (i1, j1) in itertools.pairwise(bounds):
        olds = [content[i] for i in range(i0 + 1, i1)]
        news = [chapter_content[j] for j in range(j0 + 1, j1)]
        _edited(olds, news, unit_at, taken, scripts, main)
    # a source block that moved: equal to one of today's units nobody claimed
    free = {u.text: i for i, u in reversed(list(enumerate(chapter.units))) if i not in taken}
    for part in content:
        if (
            part.what == "open"
            and part.text in free
            and chapter.units[free[part.text]].item == (part.cls == "item")
        ):
            part.what, part.unit = "source", free.pop(part.text)
            taken.add(part.unit)
    # a source block moved and edited in one change: nearly one of today's units nobody claimed
    free_units = [(i, u) for i, u in enumerate(chapter.units) if i not in taken]
    for part in content:
        if part.what != "open" or not free_units or not prose(part.text) or scripts.target == scripts.source:
            continue
        if scripts.written_in_target(part.text):
            continue
        score, k = max((align.similarity(part.text, u.text), k) for k, (_, u) in enumerate(free_units))
        unit_index, moved = free_units[k]
        if score >= MOVED and moved.item == (part.cls == "item") and moved.kind == part.element.kind:
            part.what, part.unit, part.changed = "source", unit_index, True
            taken.add(unit_index)
            free_units.pop(k)
    structs = {e.text for e in chapter.elements if e.role == "struct"}
    for part in content:
        if (
            part.what == "open"
            and part.element.role != "struct"
            and _next_marker(main, part) in ("slot", "stale")
            and scripts.source_like(part.text)  # a translation written above the note is none
        ):
            part.what = "source"  # polybook wrote this note under a source block: one gone since
    for part in content:
        if part.what != "open":
            continue
        if (
            part.element.kind in ("fence", "html")
            and part.text not in structs
            and scripts.written_in_target(part.text)
        ) or (part.owner is None and TRANSLATORS_NOTE.match(part.text)):
            # code with translated comments (code comes from the chapter), a translator's note
            # or HTML comment: no translation of any block, kept where the translator sees them
            part.what = "code"
        elif part.element.role == "struct" and (part.element.kind == "fence" or part.text in structs):
            part.what = "struct"  # code comes from the source; a copy of an equation adds nothing
        elif (part.element.role == "struct" or not prose(part.text)) and not scripts.written_in_target(
            part.text
        ):
            part.what = "struct"  # an equation or a block of marks the chapter no longer has
        else:
            part.what = "translation"


def _edited(
    olds: list[Part],
    news: list[Element],
    unit_at: dict[tuple[int, bool], int],
    taken: set[int],
    scripts: Scripts,
    main: list[Part],
) -> None:
    """In a gap between equal blocks: the old versions of today's edited blocks and equations."""
    texts = [p for p in olds if p.element.role != "struct" and prose(p.text)]
    units_here = [
        (e, unit_at[(e.line, e.role == "item")]) for e in news if (e.line, e.role == "item") in unit_at
    ]
    if texts and units_here:
        table = align.similarities([p.text for p in texts], [e.text for e, _ in units_here])
        for r, part in enumerate(texts):
            before = _previous_source(main, part)
            after = _next_marker(main, part)
            for c, (element, _) in enumerate(units_here):
                score = table[r][c]
                if (
                    part.cls != element.role
                    or (part.element.kind == "heading") != (element.kind == "heading")
                    or not scripts.source_like(part.text)
                    or _other_tabs(part.element.tab, element.tab)
                ):
                    # an item is an item's old version, a heading a heading's, a pytorch tab's a pytorch tab's
                    score = 0.0
                elif (
                    before is not None
                    and before.element.tab == part.element.tab  # a tab's translation is in its tab
                    and align.similarity(before.text, element.text) >= score - 0.05
                    and align.similarity(part.text, before.text) >= score
                ):
                    score = (
                        0.0  # the block before it is as good a source, and it is more like that one: its copy
                    )
                elif after in ("slot", "stale", "draft"):
                    score += 0.01  # polybook writes these notes after a source block: a tie goes to it
                table[r][c] = score
        chosen = align._monotonic(list(range(len(texts))), list(range(len(units_here))), table, CHANGED)
        for r, c in chosen.items():
            part = texts[r]
            part.what, part.unit, part.changed = "source", units_here[c][1], True
            taken.add(units_here[c][1])
    # equations, code, blocks with no words: the old versions of today's edited ones
    structs = [
        p
        for p in olds
        if (p.element.role == "struct" or not prose(p.text))
        and not (p.element.kind == "fence" and scripts.written_in_target(p.text))  # translated code: kept
    ]
    theirs = [e for e in news if e.role == "struct" or (e.role == "text" and not prose(e.text))]
    if structs and theirs:
        table = [[fuzz.ratio(p.text, e.text) / 100 for e in theirs] for p in structs]
        for r in align._monotonic(list(range(len(structs))), list(range(len(theirs))), table, 0.3):
            structs[r].what = "struct"  # the old version of an edited equation or cell


def _other_tabs(ours: str, theirs: str) -> bool:
    """Whether two prose tabs are for different frameworks (none in common)."""
    if not ours or not theirs or "all" in (ours, theirs):
        return False
    return not {f.strip() for f in ours.split(",")} & {f.strip() for f in theirs.split(",")}


def _previous_source(main: list[Part], part: Part) -> Part | None:
    """The block right before ``part`` that it could be the translation of."""
    for earlier in reversed(main[: part.index]):
        if earlier.what in ("source", "open") and earlier.element.role != "struct":
            return earlier
        if earlier.what in ("translation", "slot", "stale", "draft"):
            return None
    return None


def _next_marker(main: list[Part], part: Part) -> str:
    for later in main[part.index + 1 :]:
        if later.what == "mark":
            continue
        return later.what
    return ""


# -- pairing runs of sources with runs of translations -------------------------------------------


def _block(part: Part) -> align.Block:
    kind = part.element.kind
    if part.cls == "item":
        kind = "item"
    elif kind not in TRANSLATABLE:
        kind = part.element.kind
    return align.Block(part.text, kind, part.element.tab)


def _ratio(main: list[Part], scripts: Scripts) -> float:
    """Characters of translation per character of source: the median over the page's blocks
    written in polybook's layout (a source block, its translation right after it); the
    script's usual ratio when there are too few."""
    found = []
    for part, after in itertools.pairwise(main):
        if part.what == "source" and after.what == "translation":
            ours, theirs = len(prose(part.text)), len(prose(after.text))
            if ours >= 20 and theirs:
                found.append(theirs / ours)
    return statistics.median(found) if len(found) >= 3 else scripts.ratio


def read_pairs(text: str, chapter: Chapter) -> PairFile:
    """The pairs a pair file holds, recognised against today's chapter."""
    body = text.split(HEADER_END, 1)[-1] if text.lstrip().startswith(HEADER) else text
    scripts = Scripts.of(chapter.units, body)
    main, orphan_parts = parts_of(text, chapter, scripts)
    for index, part in enumerate(main):
        part.index = index
    _recognise(main, chapter, scripts)
    return _Reading(main, _ratio(main, scripts), scripts, chapter).read(orphan_parts)


class _Reading:
    """The walk through a pair file's parts that pairs each run of translations with the run
    of source blocks before it."""

    def __init__(self, main: list[Part], ratio: float, scripts: Scripts, chapter: Chapter) -> None:
        self.main = main
        titles = heading_titles(chapter)
        units = {u.text for u in chapter.units}

        def split_heading(text: str) -> tuple[str, str] | None:
            split = layouts.split_heading(text, titles, scripts)
            return split if split is not None and split[0] in units else None

        self.split_heading = split_heading
        self.ratio = ratio
        self.scripts = scripts
        self.result = PairFile()
        self.run: list[tuple[Pair, Part]] = []
        self.pending: list[Part] = []
        self.slotted: tuple[Pair, Part] | None = None
        """The source whose slot was the last note: a translation written under the slot is its."""
        self.sources: list[tuple[Pair, Part]] = []
        self.direct: list[tuple[Pair, Part]] = []
        """Translations paired with the source they were written inside."""
        self.gone_sources: list[tuple[Pair, Part]] = []
        """Blocks in the source's script read as sources gone since (see :meth:`_old_source`)."""
        self.marks: dict[int, list[tuple[int, str]]] = {}
        """Mark lines written under a translation, by the translation's index in ``main``."""

    def read(self, orphan_parts: list[Part]) -> PairFile:
        result = self.result
        draft_for: Pair | None = None
        draft_info = ""
        under: int | None = None  # the translation the next mark line would be under
        for index, part in enumerate(self.main):
            if part.what != "mark":
                under = None
            if part.what == "source":
                self.flush()
                self.slotted = None
                pair = Pair(part.text, item=part.cls == "item", unit=part.unit, source_line=part.line)
                pair.previous = part.text if part.changed else None
                self.run.append((pair, part))
                self.sources.append((pair, part))
                result.pairs.append(pair)
                draft_for = None
            elif part.what == "slot":
                self.flush()
                self.slotted = self.run[-1] if self.run else None
                self.run = []
            elif part.what == "stale":
                self.flush()
                owner = self.run[-1] if self.run else self.slotted
                if owner is not None:
                    owner[0].previous = part.info
                    self.run = [owner] if self.run else []
            elif part.what == "draft":
                owner = self.run[-1] if self.run else self.slotted
                draft_for, draft_info = (owner[0] if owner else None), part.info
            elif part.what == "translation" and draft_for is not None:
                draft_for.draft, draft_for.draft_from, draft_for.draft_line = part.text, draft_info, part.line
                result.kept.append(Piece(part.text, part.line))
                draft_for = None
            elif part.what == "translation" and self._old_source(part):
                self.flush()  # the run's translations, if any were read, end here
                self.slotted = None
                pair = Pair(part.text, item=part.cls == "item", source_line=part.line)
                self.run.append((pair, part))
                self.sources.append((pair, part))
                self.gone_sources.append((pair, part))
                result.pairs.append(pair)
                draft_for = None
            elif part.what == "translation":
                under = index
                inside = next((pair for pair, p in self.run if p is part.owner), None)
                if inside is not None and not inside.translation and not self.pending:
                    inside.translation, inside.line = part.text, part.line  # written inside its source
                    result.kept.append(Piece(part.text, part.line))
                    self.run = []
                    self.direct.append((inside, part))
                else:
                    self.pending.append(part)
            elif part.what == "code":  # kept where the translator sees it, with a warning
                result.kept.append(Piece(part.text, part.line))
                result.unpaired.append(Pair("", part.text, line=part.line))
            elif part.what == "mark" and under is not None and ATTACHED_MARK.match(part.text):
                self.marks.setdefault(under, []).append((part.line, part.text))
        self.flush()
        for pair, part in self.direct:
            pair.extra_marks += self.marks.get(part.index, [])
        result.kept += [Piece(p.text, p.line, source=True) for p in self.main if p.kept]
        owners = {id(part): pair for pair, part in self.sources}
        tells = self.scripts.target != self.scripts.source
        for part in self.main:
            held = owners.get(id(part))
            if held is None or not part.changed or _next_marker(self.main, part) in ("slot", "stale"):
                continue  # polybook's own note under it: an old source of polybook's own writing
            if held.translation or held.draft or not tells or self.scripts.written_in_target(part.text):
                # an old source with its translation becomes its stale note; without one, a block
                # read as an old source that might be a translation is kept all the same
                result.kept.append(Piece(part.text, part.line, source=True))
        for pair, part in self.gone_sources:
            if pair.translation:
                result.kept.append(Piece(part.text, part.line, source=True))
            else:  # perhaps no source at all (a note in English): kept where the translator sees it
                result.kept.append(Piece(part.text, part.line))
                marks = self.marks.get(part.index, [])
                result.unpaired.append(Pair("", part.text, line=part.line, extra_marks=marks))
        for pair in result.pairs:
            if pair.unit is None and (pair.translation or pair.draft):
                result.gone.append(pair)
        result.pairs = [p for p in result.pairs if p.unit is not None]
        result.orphans = _orphans(orphan_parts, result, self.split_heading) + result.gone + result.unpaired
        # one piece of the file, reached two ways (a heading's English half both kept as an old
        # source and paired with its translation), is one text to keep, not two
        result.kept = list(dict.fromkeys(result.kept))
        return result

    def _old_source(self, part: Part) -> bool:
        """Whether a block read as a translation, written in the source's script, is rather a
        source block gone from the chapter (a translator wrote it English first, or left it
        untranslated). A translation that repeats its source (names, numbers, a bibliography
        line) is like one of the sources it could translate; a gone source is unlike them, or
        comes when each source of the run already has a block read as its translation.
        Where the scripts tell nothing, every such block stays a translation."""
        if (
            self.scripts.target == self.scripts.source
            or part.owner is not None
            or self.scripts.written_in_target(part.text)
        ):
            return False
        # under a slot, only a block in the translation's script is taken for the slot's
        # translation (a translator who keeps the slot rarely writes English there)
        run = [p for _, p in self.run]
        if len(self.pending) >= len(run):
            return True
        if len(_tight_lists([run[-1], part])) == 1:
            return True  # the next item of the same list (a list's translation is a list of its own)
        # a translation is in its source's prose tab, an item's is an item, a heading's a heading
        kind = _block(part).kind
        alike = [
            p
            for p in run
            if p.element.tab == part.element.tab and {_block(p).kind, kind} <= {kind, *PROSE_KINDS}
        ]
        return max((align.repeated(part.text, p.text) for p in alike), default=0.0) < REPEATS

    def flush(self) -> None:
        """Pair the translations read since the last source block with the run of sources."""
        if not self.pending:
            return
        # one block under a slot is the slot's translation (the slot was left in); more are orphans
        run = self.run or ([self.slotted] if self.slotted is not None and len(self.pending) == 1 else [])
        # an item read as a translation that holds a translation of its own is a source gone since
        owners = {id(p.owner) for p in self.pending if p.owner is not None and p.owner in self.pending}
        held = [p for p in self.pending if id(p) in owners or (p.owner is not None and id(p.owner) in owners)]
        if len(run) > 1:
            held += self._gone_tabs(run) + _past_translated_list(run, self.pending)
        ids = {id(p) for p in held}
        held = [p for p in self.pending if id(p) in ids]  # once each, in the file's order
        self.pending = [p for p in self.pending if id(p) not in ids]
        sources = [align.Block(part.text, _block(part).kind, part.element.tab) for _, part in run]
        targets = [_block(p) for p in self.pending]
        if len(run) == 1:
            # polybook's own layout: the block after a source block is its translation
            first = next(
                (
                    k
                    for k, t in enumerate(targets)
                    if align.pair_cost(sources[0], t, self.ratio)[0] < float("inf")
                ),
                None,
            )
            # ... unless a later block fits it clearly better (a translator's note came first)
            costs = [align.pair_cost(sources[0], t, self.ratio)[0] for t in targets]
            best = min(range(len(targets)), key=costs.__getitem__, default=None)
            if first is not None and best is not None and costs[best] + CLEARLY < costs[first]:
                first = best
            links = [align.Link(0 if k == first else None, k) for k in range(len(targets))]
        else:
            items = all(part.cls == "item" for _, part in run)  # an English list, then its translated list
            links = align.pair_translations(sources, targets, self.ratio, tail=0.1 if items else 0.6)
        leftovers: list[Part] = list(held)
        for link in links:
            if link.translation is None:
                continue
            part = self.pending[link.translation]
            if link.source is None or run[link.source][0].translation:
                leftovers.append(part)
                continue
            pair = run[link.source][0]
            pair.translation, pair.line = part.text, part.line
            self.result.kept.append(Piece(part.text, part.line))
            pair.extra_marks += self.marks.get(part.index, [])
        self._leftovers(leftovers)
        self.run, self.pending = [], []

    def _gone_tabs(self, run: list[tuple[Pair, Part]]) -> list[Part]:
        """Prose tabs gone from the chapter, after a run of tabs written English first: in a
        tab of its own, an English paragraph that is none of the run's sources, then its
        translation. Such English could pass for a translation that repeats its source (tabs
        of one tab set often say nearly the same thing); it is a source gone since, and the
        block after it is its translation."""
        if self.scripts.target == self.scripts.source:
            return []
        ours = {part.text for _, part in run}
        gone: list[Part] = []
        for first, second in itertools.pairwise(self.pending):
            tab = first.element.tab
            if (
                tab
                and second.element.tab == tab
                and first not in gone
                and first.text not in ours
                and not self.scripts.written_in_target(first.text)
                and self.scripts.written_in_target(second.text)
            ):
                gone += [first, second]
        return gone

    def _leftovers(self, parts: list[Part]) -> None:
        """Blocks that paired with no source of the run. Source blocks gone from the chapter
        with their translations after them: those in the source's script alone are paired
        with the others as any run is; where the scripts tell nothing, in turns. What pairs
        with nothing is an orphan of its own. Nothing is dropped."""
        paired = [(p.owner, p) for p in parts if p.owner is not None and any(q is p.owner for q in parts)]
        inside = {id(p) for pair in paired for p in pair}
        parts = [p for p in parts if id(p) not in inside]
        lists = self._lists_after_lists(parts)
        in_lists = {id(p) for pair in lists for p in pair}
        if self.scripts.target != self.scripts.source:
            free = [p for p in parts if id(p) not in in_lists]
            sources = [p for p in free if not self.scripts.written_in_target(p.text)]
            others = [p for p in free if self.scripts.written_in_target(p.text)]
            links = (
                align.pair_translations([_block(p) for p in sources], [_block(p) for p in others], self.ratio)
                if sources and others
                else []
            )
            paired += [
                (sources[k.source], others[k.translation])
                for k in links
                if k.source is not None and k.translation is not None
            ]
        paired += lists
        used = {id(p) for pair in paired for p in pair}
        rest = [p for p in parts if id(p) not in used]
        tells = self.scripts.target != self.scripts.source
        k = 0
        while k + 1 < len(rest):  # the rest in turns: an old source, then its translation
            # where the scripts tell, a block with words of the target's script is no old source
            # (two one-line headings, each English and its translation, are two orphans, not a pair)
            if tells and self.scripts.written_in_target(rest[k].text):
                k += 1
            elif self.scripts.target_share(rest[k].text) <= self.scripts.target_share(rest[k + 1].text):
                paired.append((rest[k], rest[k + 1]))
                k += 2
            else:
                k += 1
        used = {id(p) for pair in paired for p in pair} | inside
        for source, translation in paired:
            self.result.gone.append(
                Pair(source.text, translation.text, line=translation.line, source_line=source.line)
            )
            self.result.kept += [
                Piece(source.text, source.line, source=True),
                Piece(translation.text, translation.line),
            ]
        for part in parts:
            if id(part) not in used:
                self.result.kept.append(Piece(part.text, part.line))
                marks = self.marks.get(part.index, [])
                self.result.unpaired.append(Pair("", part.text, line=part.line, extra_marks=marks))

    def _lists_after_lists(self, parts: list[Part]) -> list[tuple[Part, Part]]:
        """Lists gone from the chapter that a translator wrote as an English list followed by
        its translated list: a list of items in the source's script, lines with no blank
        between them, right followed by a list of as many items. Item by item, the second is
        the translation of the first (an item left in English repeats its source)."""
        found: list[tuple[Part, Part]] = []
        groups = _tight_lists(parts)
        for first, second in itertools.pairwise(groups):
            if (
                len(first) == len(second)
                and first[0].cls == second[0].cls == "item"
                and not any(self.scripts.written_in_target(p.text) for p in first)
                and not any(id(p) in {id(q) for pair in found for q in pair} for p in first)
            ):
                found += zip(first, second, strict=True)
        return found


def _tight_lists(parts: list[Part]) -> list[list[Part]]:
    """``parts`` cut into the lists a translator wrote: items of one list, each on the line
    right after the one before (a blank line, or any other block, ends a list), and each other
    block alone. Markdown reads a list and the translated list after it as one list; the blank
    line between them is where the translator ended the first."""
    groups: list[list[Part]] = []
    for part in parts:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and part.cls == last.cls == "item"
            and part.owner is None
            and last.owner is None
            and part.element.list_line == last.element.list_line
            and part.element.line == last.element.end + 1
        ):
            groups[-1].append(part)
        else:
            groups.append([part])
    return groups


def _past_translated_list(run: list[tuple[Pair, Part]], pending: list[Part]) -> list[Part]:
    """For a run of items written as one list (no blank line between them) followed by a list
    of as many items: the blocks after that translated list. They are no translations of the
    run (markdown makes one list of everything, but the translator's list ended at its blank
    line), and go with the blocks left over (often a list gone since, and its translation)."""
    sources = [part for _, part in run]
    lists = _tight_lists(pending)
    if (
        len(_tight_lists(sources)) == 1
        and sources[0].cls == "item"
        and len(lists) > 1
        and len(lists[0]) == len(sources)
        and lists[0][0].cls == "item"
    ):
        return pending[len(sources) :]
    return []


def _orphans(
    parts: list[Part], result: PairFile, split_heading: Callable[[str], tuple[str, str] | None]
) -> list[Pair]:
    """The orphaned section: source and translation in turns; a lone translation after its note
    (a heading written with its translation on its line is cut in two when today's chapter has
    that heading again)."""
    orphans: list[Pair] = []
    lone = False
    open_pair: Pair | None = None
    for part in parts:
        if part.what == "unpaired":
            lone, open_pair = True, None
            continue
        if part.what in ("mark", "header", "slot", "stale", "draft") or not part.text.strip():
            continue
        if lone:
            split = split_heading(part.text)
            if split is not None:  # its heading is back in the chapter: the pair it was, to revive
                result.kept += [Piece(split[0], part.line, source=True), Piece(split[1], part.line)]
                orphans.append(Pair(split[0], split[1], line=part.line, source_line=part.line))
            else:
                result.kept.append(Piece(part.text, part.line))
                orphans.append(Pair("", part.text, line=part.line))
            lone = False
        elif open_pair is None:
            result.kept.append(Piece(part.text, part.line, source=True))
            open_pair = Pair(part.text, source_line=part.line, item=part.cls == "item")
            orphans.append(open_pair)
        else:
            result.kept.append(Piece(part.text, part.line))
            open_pair.translation, open_pair.line = part.text, part.line
            open_pair = None
    if open_pair is not None:  # a source left alone at the end: kept as a block of its own
        open_pair.translation, open_pair.source, open_pair.line = open_pair.source, "", open_pair.source_line
    return orphans
