"""A chapter in another language: its Document with each text block replaced by its translation.

Marks (labels, widths), code and outputs stay the source's. A block with no translation keeps
the source text and is marked ``missing`` (the site says so); a stale one ``stale``; one with
only a draft shows the draft, marked ``draft``. A translation that would not stay inside its
block on the page (an unclosed fence or equation, which would swallow the rest of the page)
is not used: the source stands in its place.
"""

from __future__ import annotations

import copy

from ..errors import Diagnostics
from ..source.document import Document, TextBlock
from ..source.parser import parse_page
from .blocks import TRANSLATABLE, Chapter, list_items
from .lint import unclosed
from .pairs import Pair
from .status import state_of
from .sync import aligned_pairs


def _shown(pair: Pair) -> tuple[str, str]:
    """(state, text) of a pair as the page shows it."""
    state = state_of(pair)
    text = pair.translation or pair.draft
    if text and unclosed(text) is not None:
        return "missing", ""
    return state, text


def translated_blocks(doc: Document, source_text: str, pair_text: str | None) -> dict[int, tuple[str, str]]:
    """For each translatable block of ``doc`` (by its line): (state, text) where state is
    ``translated``, ``stale``, ``draft``, ``missing`` or ``partial`` (a list with some items
    missing); list items' translations are merged into their list; a table's caption comes as
    ``caption:<line>``."""
    chapter = Chapter.of(source_text)
    pairs, _ = aligned_pairs(chapter, pair_text)
    result: dict[int, tuple[str, str]] = {}
    items: dict[int, list[tuple[int, Pair]]] = {}
    for index, (unit, pair) in enumerate(zip(chapter.units, pairs, strict=True)):
        if unit.item:
            items.setdefault(unit.block_line, []).append((index, pair))
            continue
        state, text = _shown(pair)
        key = unit.block_line if unit.kind != "caption" else -unit.block_line
        result[key] = (state, text or unit.text)
    blocks = {b.line: b for b in doc.text_blocks}
    for line, members in items.items():
        if line in blocks:
            result[line] = _translate_list(blocks[line], [p for _, p in members])
    return result


def _translate_list(block: TextBlock, pairs: list[Pair]) -> tuple[str, str]:
    body = block.source.split("\n")
    out: list[str] = []
    states = []
    for (start, end, column), pair in zip(list_items(block.source), pairs, strict=False):
        state, text = _shown(pair)
        states.append(state)
        if text:
            translated = text.split("\n")
            out += [
                body[start][:column] + translated[0],
                *(" " * column + ln if ln else "" for ln in translated[1:]),
            ]
        else:
            out += body[start:end]
    while out and not out[-1].strip():
        out.pop()
    if all(s == "missing" for s in states):
        state = "missing"
    elif "missing" in states:
        state = "partial"
    elif "stale" in states:
        state = "stale"
    elif "draft" in states:
        state = "draft"
    else:
        state = "translated"
    return state, "\n".join(out)


def translated_document(doc: Document, source_text: str, pair_text: str | None) -> Document:
    """The chapter in another language (see the module's docstring)."""
    states = translated_blocks(doc, source_text, pair_text)
    blocks = []
    for block in doc.blocks:
        if not isinstance(block, TextBlock) or block.kind not in TRANSLATABLE or block.line not in states:
            blocks.append(block)
            continue
        state, text = states[block.line]
        new = copy.copy(block)
        new.translation_state = state
        caption = states.get(-block.line)
        if caption is not None and caption[0] != "missing" and block.caption:
            new.caption = caption[1].lstrip().removeprefix(":").strip()
        if state != "missing" and text != block.source:
            parsed = parse_page(
                text, doc.name, doc.path, doc.display_path, tuple(doc.frameworks), Diagnostics()
            )
            found = parsed.text_blocks[0] if parsed.text_blocks else None
            new.source = text
            if found is not None:
                new.roles, new.images = found.roles, found.images
                new.heading_level = found.heading_level or block.heading_level
        blocks.append(new)
    result = copy.copy(doc)
    result.blocks = blocks
    for block in result.text_blocks:
        if block.kind == "heading":
            result.title = block.source.split("\n", 1)[0].lstrip("#").strip()
            break
    return result
