"""Alignment by content: which blocks of two sequences belong together.

Two problems, two tools. Between two versions of the same language (a pair file's source blocks
and today's chapter, an old ``X_origin.md`` and today's chapter), :func:`match` finds the blocks
that are equal (a longest common subsequence, rapidfuzz's ``LCSseq``) and, in each gap between
them, the ones that were edited (a monotonic alignment maximising rapidfuzz's similarity).
Between a source and its translation, where words are not shared, :func:`pair_translations`
aligns by what a translation keeps of its source (code, math, roles, link targets, numbers,
heading levels: :func:`anchors`) and by length, as Gale and Church align sentences: a
translation is about as long as its source times the language's ratio. Nothing is paired by
position alone.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from .blocks import Unit, prose

_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_MATH = re.compile(r"(?<!\\)\$\$?(.+?)(?<!\\)\$\$?", re.S)
_ROLE = re.compile(r":(\w+):`([^`]*)`")
_TARGET = re.compile(r"\]\(([^)\s]+)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_HEADING = re.compile(r"^(#{1,6})\s")


@functools.lru_cache(maxsize=16384)
def anchors(text: str) -> Counter[str]:
    """What a translation keeps of its source, whatever the language: inline code, math,
    roles with their targets, link and image targets, numbers and the heading level."""
    found: Counter[str] = Counter()
    found.update(f"role:{m.group(1)}:{m.group(2).strip()}" for m in _ROLE.finditer(text))
    rest = _ROLE.sub(" ", text)
    found.update(f"code:{m.group(2).strip()}" for m in _CODE.finditer(rest))
    rest = _CODE.sub(" ", rest)
    found.update(f"math:{''.join(m.group(1).split())}" for m in _MATH.finditer(rest))
    rest = _MATH.sub(" ", rest)
    found.update(f"link:{m.group(1)}" for m in _TARGET.finditer(rest))
    rest = _TARGET.sub(" ", rest)
    found.update(f"number:{m.group(0)}" for m in _NUMBER.finditer(rest))
    heading = _HEADING.match(text)
    if heading:
        found[f"heading:{len(heading.group(1))}"] += 1
    return found


def anchor_agreement(a: str, b: str) -> float | None:
    """How much two blocks' anchors agree (0 to 1); None when neither has any."""
    ours, theirs = anchors(a), anchors(b)
    total = sum(ours.values()) + sum(theirs.values())
    if not total:
        return None
    return 2 * sum((ours & theirs).values()) / total


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=16384)
def _words(text: str) -> str:
    return prose(text)


def similarity(a: str, b: str) -> float:
    """How alike two blocks' words are (0 to 1): rapidfuzz's normalised Indel similarity."""
    return fuzz.ratio(_words(a), _words(b)) / 100


def repeated(translation: str, source: str) -> float:
    """How much a translation in the source's script repeats its source (0 to 1): the smaller
    of the share of its words the source has and the share of the source's words it has (a
    list of names in any order, numbers, a bibliography line repeat most of theirs both ways).
    Words, not characters: two unrelated English sentences share half their characters, but
    few of their words; and a short lead-in ("Let us consider") is no copy of a long paragraph
    that happens to have its words."""
    theirs = _WORD.findall(prose(translation).lower())
    ours = _WORD.findall(prose(source).lower())
    if not theirs or not ours:
        return 0.0
    mine, yours = set(ours), set(theirs)
    return min(sum(w in mine for w in theirs) / len(theirs), sum(w in yours for w in ours) / len(ours))


TRANSLATORS_NOTE = re.compile(
    r"^\s*(?:[*_>]+\s*)?[\[(（【]?\s*(?:역자\s*주|역주|옮긴이\s*주?|譯者注|译者注|译注|譯注|訳注|訳者注|"
    r"訳者より|translator['’]?s?\s+note|n\.\s*d(?:o|a)\s*t\.|anm\.\s*d\.\s*ü)",
    re.IGNORECASE,
)
"""The start of a translator's note (역자 주, 译者注, 訳注, Translator's note…): a note is the
translation of no block."""


def similarities(olds: Sequence[str], news: Sequence[str]) -> list[list[float]]:
    """:func:`similarity` of every pair, computed by rapidfuzz in one call."""
    if not olds or not news:
        return [[] for _ in olds]
    matrix = process.cdist([_words(t) for t in olds], [_words(t) for t in news], scorer=fuzz.ratio)
    return [[float(value) / 100 for value in row] for row in matrix]


def _lcs(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    """Equal items of a longest common subsequence, each moved to the earliest equal item of
    ``old`` in its gap: a block written twice in a row (a translation equal to its source,
    "## PyTorch") is its source the first time."""
    pairs: list[tuple[int, int]] = []
    for op in LCSseq.opcodes(list(old), list(new)):
        if op.tag == "equal":
            pairs += zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end), strict=True)
    moved: list[tuple[int, int]] = []
    for i, j in pairs:
        low = moved[-1][0] + 1 if moved else 0
        earliest = next(k for k in range(low, i + 1) if old[k] == old[i])
        moved.append((earliest, j))
    return moved


Scores = Callable[[list[int], list[int]], list[list[float]]]


def match(old: Sequence[str], new: Sequence[str], scores: Scores, threshold: float) -> dict[int, int]:
    """Which item of ``new`` each item of ``old`` is (by index), when it is one.

    Equal items first; then, in each gap between them, the edited ones: a monotonic
    alignment of the gap's items maximising the summed ``scores`` of the pairs, each at least
    ``threshold``.
    """
    found = dict(_lcs(old, new))
    bounds = [(-1, -1), *sorted(found.items()), (len(old), len(new))]
    for (i0, j0), (i1, j1) in itertools.pairwise(bounds):
        olds, news = list(range(i0 + 1, i1)), list(range(j0 + 1, j1))
        if olds and news:
            found.update(_monotonic(olds, news, scores(olds, news), threshold))
    return found


def _monotonic(
    olds: list[int], news: list[int], table: list[list[float]], threshold: float
) -> dict[int, int]:
    """The order-keeping assignment of ``olds`` to ``news`` with the largest total score."""
    rows, cols = len(olds), len(news)
    threshold -= 1e-3  # (the tie-break below must not drop a pair that just makes it)
    # of equal scores, the earlier item of ``olds`` wins: a source block comes before a copy
    table = [
        [score - 1e-6 * r if score >= threshold else score for score in row] for r, row in enumerate(table)
    ]
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            score = table[r - 1][c - 1]
            take = best[r - 1][c - 1] + score if score >= threshold else -1.0
            best[r][c] = max(best[r - 1][c], best[r][c - 1], take)
    chosen: dict[int, int] = {}
    r, c = rows, cols
    while r and c:
        score = table[r - 1][c - 1]
        if score >= threshold and best[r][c] == best[r - 1][c - 1] + score:
            chosen[olds[r - 1]] = news[c - 1]
            r, c = r - 1, c - 1
        elif best[r][c] == best[r - 1][c]:
            r -= 1
        else:
            c -= 1
    return chosen


@dataclass(frozen=True)
class Block:
    """A block as the cross-language alignment sees it."""

    text: str
    kind: str = "paragraph"
    """Blocks pair only with blocks of their kind (a heading with a heading, an item with an item)."""
    tab: str = ""
    """The prose tab it is in: a pytorch tab's paragraph pairs with a pytorch tab's."""


@dataclass(frozen=True)
class Link:
    """One step of an alignment: a source and its translation, or either alone."""

    source: int | None
    translation: int | None
    how: str = ""
    """For a pair: ``anchor`` when their anchors agree, ``length`` when only lengths do,
    ``alone`` when it was the only candidate."""


CHANGED = 0.6
"""How similar an old source block must be to today's to be the same block, edited."""

SKIP = 1.6
"""What leaving a block unpaired costs; a pair that costs more than two of these is no pair."""


def length_ratio(sources: Sequence[str], translations: Sequence[str]) -> float:
    """Characters of translation per character of source, over the blocks given (Gale and
    Church's constant, measured on the page instead of assumed per language)."""
    ours = sum(len(_words(t)) for t in sources)
    theirs = sum(len(_words(t)) for t in translations)
    return max(0.2, min(5.0, theirs / ours)) if ours and theirs else 1.0


def pair_cost(source: Block, translation: Block, ratio: float) -> tuple[float, str]:
    """What pairing two blocks costs (lower is likelier), and what decided it."""
    kinds = {source.kind, translation.kind}
    if len(kinds) > 1 and ("item" in kinds or "math" in kinds):
        return math.inf, ""  # an item's translation is an item; an equation is no block's translation
    if translation.kind == "heading" and source.kind != "heading":
        return math.inf, ""  # a heading under a figure is a heading gone since, not its translation
    mismatch = 0.0 if len(kinds) == 1 or kinds == {"paragraph", "caption"} else 2.0
    caption_as_text = kinds in ({"figure", "paragraph"}, {"figure", "caption"})
    if caption_as_text:
        mismatch = 0.5  # a figure's caption translated as a line of text
    if source.tab != translation.tab:
        mismatch += 2.0  # a pytorch tab's paragraph is translated in a pytorch tab
    expected = ratio * len(_words(source.text)) + 8
    actual = len(_words(translation.text)) + 8
    cost = min(abs(math.log(actual / expected)), 3.0) + mismatch
    # a caption translated as a line of text has no image to agree on
    agreement = None if caption_as_text else anchor_agreement(source.text, translation.text)
    how = "length"
    if agreement is not None:
        cost += 2.5 * (1 - agreement)
        how = "anchor" if agreement >= 0.5 else "length"
    # a translation that keeps its source's words (a list of names, a reference)
    same = similarity(source.text, translation.text)
    if same >= 0.9:
        cost -= same
        how = "anchor"
    return cost, how


def pair_translations(
    sources: Sequence[Block], translations: Sequence[Block], ratio: float | None = None, *, tail: float = 0.6
) -> list[Link]:
    """Align source blocks with translation blocks, keeping both orders.

    A dynamic programme over (source, translation) prefixes whose steps are a pair (its
    :func:`pair_cost`), a source alone or a translation alone (:data:`SKIP` each). Gale and
    Church's algorithm, with anchors added to its length cost; written here because the
    libraries that implement it align by length only. ``tail`` weighs pairing by place from the
    ends when there are fewer translations than sources (low for a list's translated list,
    where any item may be the one left out).
    """
    if ratio is None:
        ratio = length_ratio([s.text for s in sources], [t.text for t in translations])
    if len(sources) == 1 and len(translations) == 1:
        cost, how = pair_cost(sources[0], translations[0], ratio)
        if cost < math.inf:
            return [Link(0, 0, "alone")]
    rows, cols = len(sources), len(translations)
    best = [[math.inf] * (cols + 1) for _ in range(rows + 1)]
    step: list[list[tuple[int, int, str]]] = [[(0, 0, "")] * (cols + 1) for _ in range(rows + 1)]
    best[0][0] = 0.0
    for r in range(rows + 1):
        for c in range(cols + 1):
            here = best[r][c]
            if here == math.inf:
                continue
            if r < rows and here + SKIP < best[r + 1][c]:
                best[r + 1][c], step[r + 1][c] = here + SKIP, (r, c, "")
            if c < cols and here + SKIP < best[r][c + 1]:
                best[r][c + 1], step[r][c + 1] = here + SKIP, (r, c, "")
            if r < rows and c < cols:
                cost, how = pair_cost(sources[r], translations[c], ratio)
                # of pairs alike, the one in the same place in both runs; when sources outnumber
                # translations, counted from their ends, and weighing more: a translation right
                # after a source is that one's, the sources before it were left untranslated
                # (S1 S2 T2, as in polybook's layout without its slot)
                cost += tail * abs((rows - r) - (cols - c)) if rows > cols else 0.1 * abs(c - r)
                if here + cost < best[r + 1][c + 1]:
                    best[r + 1][c + 1], step[r + 1][c + 1] = here + cost, (r, c, how)
    links: list[Link] = []
    r, c = rows, cols
    while r or c:
        pr, pc, how = step[r][c]
        if pr == r - 1 and pc == c - 1:
            links.append(Link(pr, pc, how))
        elif pr == r - 1:
            links.append(Link(pr, None))
        else:
            links.append(Link(None, pc))
        r, c = pr, pc
    return links[::-1]


# -- which writing system a block is in -----------------------------------------------------

_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "hangul": re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
}


def script_counts(text: str) -> Counter[str]:
    """Letters of ``text`` by script, math, code and markup left out."""
    words = prose(text)
    return Counter({name: n for name, pattern in _SCRIPTS.items() if (n := len(pattern.findall(words)))})


#: Characters of translation per character of English prose, by the translation's script
#: (measured on this book's Korean, Chinese and Japanese: 0.53, 0.36, 0.55).
RATIOS = {"hangul": 0.53, "han": 0.36, "kana": 0.55, "latin": 1.1}


@dataclass(frozen=True)
class Scripts:
    """The scripts of a page's source and of its translation."""

    source: str
    target: str
    """The translation's main script, or the source's when they share one (nothing to tell)."""
    others: tuple[str, ...] = ()
    """Further scripts the translation is written in (Japanese: kanji beside kana)."""

    @classmethod
    def of(cls, source_units: Sequence[Unit], pair_text: str) -> Scripts:
        ours = script_counts("\n".join(u.text for u in source_units))
        source = ours.most_common(1)[0][0] if ours else "latin"
        # letters the pair file has beyond the chapter's own (a Greek mu in the English is no translation)
        theirs = script_counts(pair_text) - ours
        del theirs[source]
        found = theirs.most_common()
        if not found:
            return cls(source, source)
        (target, most), *rest = found
        return cls(source, target, tuple(name for name, n in rest if n >= most / 10))

    @property
    def ratio(self) -> float:
        """The expected length of a translation per character of source (Gale and Church's c)."""
        return RATIOS.get(self.target, 1.0)

    def written_in_target(self, text: str) -> bool:
        """Whether ``text`` (math and markup included) has letters of the translation's script."""
        return self.target != self.source and any(
            _SCRIPTS[name].search(text) for name in (self.target, *self.others) if name in _SCRIPTS
        )

    def target_share(self, text: str) -> float:
        """The share of ``text``'s letters in the translation's scripts."""
        counts = script_counts(text)
        letters = sum(counts.values())
        if not letters or self.target == self.source:
            return 0.0
        return sum(counts[name] for name in (self.target, *self.others)) / letters

    def source_like(self, text: str) -> bool:
        """Whether ``text`` may be a source block: False only for a block written mostly in
        the translation's own script."""
        return self.target == self.source or self.target_share(text) < 0.3
