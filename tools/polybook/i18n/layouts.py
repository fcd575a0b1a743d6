r"""The layouts translators write a pair file in, read into parts: which text is whose.

A pair file's blocks come as :class:`Part`\ s in file order. Most are whole blocks; some are cut
where a translator wrote a translation inside its source's block: under a list item's text (in
polybook's layout, or on the next lines without a blank line), on a heading's own line
(``## Linear Regression 선형 회귀``), or on the lines right under a paragraph. Each cut keeps
its place: the translation's part knows the source part it was written in (``owner``).
:mod:`polybook.i18n.pairs` then decides which parts are today's source blocks.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from . import align
from .align import CHANGED, Scripts
from .blocks import (
    Chapter,
    Element,
    draft_score,
    elements,
    item_content,
    list_items,
    marker_kind,
    stale_previous,
)


@dataclass
class Part:
    """An element of the pair file as the reading goes: content, or one of polybook's notes."""

    element: Element
    text: str
    line: int
    what: str = "open"
    """``open`` (source or translation: to be decided), ``source``, ``translation``, ``struct``,
    ``mark``, or a marker kind (``slot``, ``stale``, ``draft``, ``unpaired``, ``header``)."""
    unit: int | None = None
    changed: bool = False
    """A source block that differs from today's (an old version)."""
    info: str = ""
    """For a stale note: the previous source; for a draft note: where it came from."""
    index: int = 0
    """Its place among the parts before the orphaned section."""
    owner: Part | None = None
    """For a translation written inside its source's block (under a list item's text, on the
    heading's line): that source."""
    kept: bool = False
    """Cut from a translator's line and not one of today's blocks: a rewrite must keep it."""

    @property
    def cls(self) -> str:
        """Which blocks it may be: an item is an item, any other block a block."""
        return "item" if self.element.role == "item" else self.element.role


_BETWEEN = " \t/|:-–—：／"
"""What may stand between a heading and its translation on one line."""
_BRACKETS = {"(": ")", "（": "）", "[": "]"}
_GLOSS = re.compile(r"^(?P<before>.*?)\s*(?P<open>[(（\[])(?P<inside>[^()（）\[\]]+)[)）\]]\s*$")


def _unwrapped(text: str) -> str:
    """A heading's translation as the translator wrote it, without what stood between it and
    the English: separators before it, and brackets only when they wrap all of it."""
    text = text.strip(_BETWEEN)
    if len(text) > 1 and _BRACKETS.get(text[0]) == text[-1] and not _GLOSS.match(text[1:-1]):
        return text[1:-1].strip()
    return text


def split_heading(text: str, titles: dict[str, list[str]], scripts: Scripts) -> tuple[str, str] | None:
    """A heading written with its translation on the same line: (source, translation). The
    source is one of today's headings (the longest that fits), given first or after the
    translation (``## 기초 (Basics)``); or, edited or deleted since, the words before the first
    one in the translation's script, or the English in brackets after the translation."""
    match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", text)
    if not match or "\n" in text:
        return None
    hashes, title = match.groups()
    sources = sorted(titles.get(hashes, []), key=len, reverse=True)
    for source in sources:
        rest = title[len(source) :]
        if title.startswith(source) and rest[:1] in _BETWEEN and _unwrapped(rest):
            return f"{hashes} {source}", f"{hashes} {_unwrapped(rest)}"
        gloss = _GLOSS.match(title)
        if gloss and gloss["inside"].strip() == source and gloss["before"].strip(_BETWEEN):
            return f"{hashes} {source}", f"{hashes} {gloss['before'].strip(_BETWEEN)}"
        if title.endswith(source) and title[: -len(source)].strip(_BETWEEN):
            return f"{hashes} {source}", f"{hashes} {title[: -len(source)].strip(_BETWEEN)}"
    if scripts.target == scripts.source:
        return None
    words = title.split(" ")
    first = next((k for k, w in enumerate(words) if scripts.written_in_target(w)), None)
    if first:
        head, rest = " ".join(words[:first]).strip(_BETWEEN), _unwrapped(" ".join(words[first:]))
        similar = any(align.similarity(head, source) >= CHANGED for source in sources)
        if head and rest and similar and not scripts.written_in_target(head):
            return f"{hashes} {head}", f"{hashes} {rest}"
    gloss = _GLOSS.match(title)
    if (
        gloss
        and scripts.written_in_target(gloss["before"])
        and not scripts.written_in_target(gloss["inside"])
    ):
        # the translation first, the English in brackets after it: the heading edited since (like
        # one of today's), or deleted (English of two words or more, not an abbreviation's gloss)
        english, translation = gloss["inside"].strip(), gloss["before"].strip(_BETWEEN)
        similar = any(align.similarity(english, source) >= CHANGED for source in sources)
        if similar or len(english.split()) >= 2:
            return f"{hashes} {english}", f"{hashes} {translation}"
    return None


def _item_parts(element: Element, known: set[str], scripts: Scripts) -> list[Part]:
    """An item of a pair file: its source text, then what it holds under it (notes, a translation)."""
    lines = element.text.split("\n")
    marker_at = next((k for k, ln in enumerate(lines) if marker_kind(ln)), None)
    cut = next((k for k in range(len(lines), 0, -1) if "\n".join(lines[:k]) in known), None)
    if cut is None and "" in lines and (marker_at is None or lines.index("") < marker_at):
        blank = lines.index("")
        if scripts.source_like("\n".join(lines[:blank])):  # `source` / blank / `translation`
            cut = blank
    if cut is None and marker_at is not None:
        cut = marker_at
    if cut is None:
        cut = _translation_starts(lines, known, scripts)
    if cut is None:
        return [Part(element, element.text, element.line)]
    head = "\n".join(lines[:cut]).rstrip("\n")
    parts = [Part(element, head, element.line)] if head.strip() else []
    inner = _inner(element, lines, cut)
    for part in inner:
        part.owner = parts[0] if parts else None
    return parts + inner


def _translation_starts(lines: list[str], known: set[str], scripts: Scripts) -> int | None:
    """Where a translation written under an item's (edited) text starts: the first line in the
    translation's script, or the cut whose head is most like one of today's items."""
    if len(lines) < 2:
        return None
    if scripts.target != scripts.source:
        first = next((k for k, ln in enumerate(lines) if scripts.written_in_target(ln)), None)
        if first and scripts.source_like("\n".join(lines[:first])):
            return first
        return None
    best, where = CHANGED, None
    for k in range(1, len(lines)):
        head = "\n".join(lines[:k])
        score = max((align.similarity(head, item) for item in known), default=0.0)
        if score > best:
            best, where = score, k
    return where


def _unbulleted(text: str) -> str:
    """A translation written as a nested bullet under its item (``* English`` then
    ``    * 번역``): its text without the bullet. Anything else is left as it is."""
    flat = textwrap.dedent(text)
    if not re.match(r"[*+-] ", flat):
        return text
    found = list_items(flat)
    if len(found) != 1:
        return text
    lines = flat.split("\n")
    _, end, column = found[0]
    if any(ln.strip() for ln in lines[end:]):
        return text
    return item_content(lines[:end], column).rstrip("\n")


def _inner(element: Element, lines: list[str], start: int) -> list[Part]:
    """What an item holds under its source text: notes and translations, in order."""
    parts: list[Part] = []
    chunk: list[str] = []
    chunk_at = start

    def flush() -> None:
        text = _unbulleted("\n".join(chunk).strip("\n"))
        if text.strip():
            first = chunk_at + next(k for k, ln in enumerate(chunk) if ln.strip())
            parts.append(Part(element, text, element.line + first, "translation"))
        chunk.clear()

    k = start
    while k < len(lines):
        kind = marker_kind(lines[k])
        if kind is None:
            if not chunk:
                chunk_at = k
            chunk.append(lines[k])
            k += 1
            continue
        flush()
        end = k
        while end < len(lines) and "-->" not in lines[end]:
            end += 1
        comment = "\n".join(lines[k : end + 1])
        info = stale_previous(comment) if kind == "stale" else draft_score(comment)
        parts.append(Part(element, comment, element.line + k, kind, info=info))
        k = end + 1
    flush()
    return parts


def heading_titles(chapter: Chapter) -> dict[str, list[str]]:
    """Today's headings' titles, by their ``#``s."""
    titles: dict[str, list[str]] = {}
    for unit in chapter.units:
        if unit.kind == "heading":
            hashes, _, title = unit.text.partition(" ")
            titles.setdefault(hashes, []).append(title.strip())
    return titles


def parts_of(text: str, chapter: Chapter, scripts: Scripts) -> tuple[list[Part], list[Part]]:
    """The pair file's parts before the orphaned section, and those in it."""
    known_items = {u.text for u in chapter.units if u.item}
    unit_texts = [u.text for u in chapter.units]
    titles = heading_titles(chapter)
    found = elements(text)
    present = [e.text for e in found]
    main: list[Part] = []
    orphans: list[Part] = []
    target = main
    for element in found:
        if element.role == "marker":
            if element.kind == "orphaned":
                target = orphans
                continue
            info = stale_previous(element.text) if element.kind == "stale" else draft_score(element.text)
            target.append(Part(element, element.text, element.line, element.kind, info=info))
        elif element.role == "mark":
            target.append(Part(element, element.text, element.line, "mark"))
        elif element.role == "item" and target is main:
            target += _item_parts(element, known_items, scripts)
        elif element.kind == "heading" and element.text not in unit_texts and target is main:
            split = split_heading(element.text, titles, scripts)
            if split is not None and present.count(split[0]) == 0:
                source = Part(element, split[0], element.line, kept=split[0] not in unit_texts)
                main += [source, Part(element, split[1], element.line, "translation", owner=source)]
            else:
                main.append(Part(element, element.text, element.line))
        elif element.role == "text" and target is main and "\n" in element.text:
            head = next((u for u in unit_texts if element.text.startswith(u + "\n")), None)
            if head is not None and (
                element.text[len(head) + 1 :] in unit_texts
                or (
                    scripts.target != scripts.source
                    and not scripts.written_in_target(element.text[len(head) :])
                )
            ):
                head = None  # one of today's blocks and the next, merged: an old source (split since)
            if head is None and element.text not in unit_texts:
                # its source edited since: cut where the translation's script starts
                lines = element.text.split("\n")
                cut = _translation_starts(lines, set(unit_texts), scripts)
                if cut and scripts.target != scripts.source:
                    head = "\n".join(lines[:cut])
            if head is not None and present.count(head) == 0:  # a translation right under its source
                rest = element.text[len(head) + 1 :]
                source = Part(element, head, element.line)
                line = element.line + head.count("\n") + 1
                main += [source, Part(element, rest, line, "translation", owner=source)]
            else:
                main.append(Part(element, element.text, element.line))
        else:
            target.append(Part(element, element.text, element.line))
    return main, orphans
