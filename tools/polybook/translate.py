"""Translations as aligned paragraph pairs: init, sync, status.

A pair file (``translations/<lang>/<page>.md``) reads like the source chapter with each text
block followed by its translation, and each list item followed, inside the item, by its
translation. Code, math and other blocks that are not translated appear once, as in the source.

The toolchain recognises a source block by matching it against the current chapter; the block
after it is its translation. When the chapter changes, :func:`sync` aligns the pairs the file
holds with the chapter's blocks (a sequence alignment, as ``difflib`` does for lines): a pair
whose source block changed keeps its translation and is marked stale with its previous source
text beside it; a pair whose source is gone moves to an orphaned section at the end; a new block
comes in untranslated. A translator's words are never dropped.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.token import Token

from .book import Book
from .document import Document, TextBlock
from .errors import Diagnostics, Kind
from .fsutil import write_text
from .markdown import tokenize, top_level_blocks

TRANSLATABLE = {"heading", "paragraph", "figure", "table", "blockquote", "list"}
STALE = "<!-- polybook:stale"
UNTRANSLATED = "<!-- polybook:untranslated -->"
"""Stands where a block's translation will go: so the file says which block is which even
after the source changes (a changed source block is otherwise hard to tell from a translation)."""
ORPHANED = "<!-- polybook:orphaned -->"
_ATTACHED_MARK = re.compile(r"^\s*:(label|eqlabel|width|height):`[^`]*`\s*$")


@dataclass(frozen=True)
class Unit:
    """A translatable piece of the chapter: a text block, or one item of a list."""

    text: str
    """Its source text (for a list item: the item's content, without the bullet)."""
    after: int
    """0-based index of the chapter line after which its translation goes."""
    indent: str = ""
    """For a list item: the indentation of the item's content."""
    item: bool = False


def _attached_end(lines: list[str], end: int) -> int:
    """The line after a block's end, past the mark lines that belong to it (``:label:``…)."""
    while end < len(lines) and _ATTACHED_MARK.match(lines[end]):
        end += 1
    return end


def _list_items(source: str) -> list[tuple[int, int, int]]:
    """(first line, end line, content column) of each top-level item of a list's source."""
    items = []
    lines = source.split("\n")
    for token in tokenize(source):
        if token.type == "list_item_open" and token.level == 1 and token.map:
            start, end = token.map
            marker = re.match(r"\s*(?:[*+-]|\d+[.)])\s+", lines[start])
            items.append((start, end, marker.end() if marker else 2))
    return items


def _item_content(item_lines: list[str], column: int) -> str:
    """An item's text without its bullet and indentation. A continuation line may be indented
    less than the content (a "lazy" line); it loses only the spaces it has."""
    rest = [ln[min(column, len(ln) - len(ln.lstrip(" "))) :] for ln in item_lines[1:]]
    return "\n".join([item_lines[0][column:], *rest])


def units(doc: Document, text: str) -> list[Unit]:
    """The translatable units of a chapter, in order."""
    lines = text.split("\n")
    found = []
    for block in doc.text_blocks:
        if block.kind not in TRANSLATABLE or not _prose(block.source):
            continue  # nothing to translate: no text, or only marks (a `:bibliography:` line)
        if block.kind == "list":
            body = block.source.split("\n")
            for start, end, column in _list_items(block.source):
                item_lines = body[start:end]
                while item_lines and not item_lines[-1].strip():
                    item_lines.pop()
                content = _item_content(item_lines, column)
                found.append(Unit(content, block.line - 1 + start + len(item_lines) - 1, " " * column, True))
            continue
        found.append(Unit(block.source, _attached_end(lines, block.end_line) - 1))
    return found


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
    """Mark lines (``:label:``…) written after the translation: marks come from the source."""


@dataclass
class PairFile:
    pairs: list[Pair] = field(default_factory=list)
    orphans: list[Pair] = field(default_factory=list)


def _raw(lines: list[str], token: Token) -> str:
    start, end = token.map or (0, 0)
    chunk = lines[start:end]
    while chunk and not chunk[-1].strip():
        chunk.pop()
    return "\n".join(chunk)


_MARKUP = re.compile(r"\$\$?.+?\$\$?|`+[^`]*`+|:\w+:|\]\([^)]*\)|[^\w\s]", re.S)


def _prose(text: str) -> str:
    """A block's words without math, code, roles, link targets and punctuation: what a
    translation does not share with its source."""
    return " ".join(_MARKUP.sub(" ", text).split())


@functools.lru_cache(maxsize=8192)
def _letters(text: str) -> tuple[str, Counter[str]]:
    prose = _prose(text)
    return prose, Counter(prose)


def _similarity(a: str, b: str, floor: float = 0.0) -> float:
    """How alike two blocks' words are (0 to 1); 0 when it is surely below ``floor``.

    An upper bound from the letters alone comes first (difflib's ``quick_ratio``, on counts kept
    per block): a translation compared with a page's hundred source blocks is rejected without
    the quadratic matching.
    """
    (a, a_letters), (b, b_letters) = _letters(a), _letters(b)
    if not a or not b:
        return 0.0
    if floor and 2 * sum((a_letters & b_letters).values()) / (len(a) + len(b)) < floor:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _take_stale(content: str) -> tuple[str, str | None]:
    """An item's content without its stale comment, and the previous source the comment holds."""
    lines = content.split("\n")
    start = next((k for k, ln in enumerate(lines) if ln.startswith(STALE)), None)
    if start is None:
        return content, None
    end = next((k for k in range(start + 1, len(lines)) if lines[k].strip() == "-->"), len(lines) - 1)
    rest = lines[:start] + lines[end + 1 :]
    while start < len(rest) and start > 0 and not rest[start].strip() and not rest[start - 1].strip():
        del rest[start]  # the blank lines around the comment become one
    return "\n".join(rest), "\n".join(lines[start + 1 : end])


def _split_item(content: str, known: set[str]) -> tuple[str, str, int]:
    """An item of a pair file: its source part, its translation part, and the line (from the
    item's first) where the translation starts."""
    lines = content.split("\n")
    cut = None
    for k in range(len(lines), 0, -1):  # the longest prefix that is a current source item
        if "\n".join(lines[:k]) in known:
            cut = k
            break
    if cut is None and "" in lines:  # `source` / blank line / `translation`, as sync writes it
        cut = lines.index("")
    if cut is None:
        cut = max(
            range(1, len(lines) + 1),
            key=lambda k: max((_similarity("\n".join(lines[:k]), t) for t in known), default=0),
        )
    start = cut
    while start < len(lines) and not lines[start].strip():
        start += 1
    return "\n".join(lines[:cut]), "\n".join(lines[start:]).strip("\n"), start


def read_pairs(text: str, current: list[Unit]) -> PairFile:
    """The pairs a pair file holds, recognised against the chapter's current units."""
    lines = text.split("\n")
    known_blocks = {u.text for u in current if not u.item}
    known_items = {u.text for u in current if u.item}
    result = PairFile()
    target = result.pairs
    open_pair: Pair | None = None  # a source block waiting for its translation
    last_translated: Pair | None = None  # the pair whose translation was the last block
    pending_previous: str | None = None
    for group in top_level_blocks(tokenize(text)):
        first = group[0]
        if first.type == "html_block" and first.content.startswith(ORPHANED):
            target, open_pair = result.orphans, None
            continue
        if first.type == "html_block" and first.content.startswith(UNTRANSLATED):
            open_pair = None  # the slot of the open pair, still empty
            continue
        if first.type == "html_block" and first.content.startswith(STALE):
            body = first.content.strip()
            pending_previous = body[len(STALE) :].split("\n", 1)[1].rsplit("-->", 1)[0].strip("\n")
            if open_pair is not None:
                open_pair.previous = pending_previous
                pending_previous = None
            continue
        if first.type in ("bullet_list_open", "ordered_list_open") and first.map:
            open_pair = None
            raw = _raw(lines, first)
            for start, end, column in _list_items(raw):
                content = _item_content(raw.split("\n")[start:end], column).strip("\n")
                content, previous = _take_stale(content)
                source, translation, offset = _split_item(content, known_items)
                where = first.map[0] + start + offset + 1
                if previous is not None:
                    where += previous.count("\n") + 4  # the comment's lines and the blank after it
                target.append(Pair(source, translation, previous, True, where if translation else 0))
            continue
        if first.type in ("d2l_mark", "d2l_caption"):
            attached = first.type == "d2l_mark" and _ATTACHED_MARK.match(first.markup)
            if attached and last_translated is not None and first.map:  # a mark under a translation
                last_translated.extra_marks.append((first.map[0] + 1, first.markup))
            elif not attached:  # `:end_tab:`, `:begin_tab:`, a table's caption: the source's structure
                last_translated = None
            continue  # a source block's `:label:` stands between it and its translation
        kind = {"heading_open": 1, "paragraph_open": 1, "table_open": 1, "blockquote_open": 1}
        if first.type not in kind or not first.map:
            open_pair = last_translated = None  # code, math: structure that appears once
            continue
        raw = _raw(lines, first)
        if open_pair is not None and (
            raw == open_pair.source  # a translation that keeps its source as it is ("## PyTorch")
            or (raw not in known_blocks and not _looks_like(raw, known_blocks, open_pair))
        ):
            open_pair.translation, open_pair.line = raw, first.map[0] + 1
            last_translated, open_pair = open_pair, None
            continue
        if (
            target is result.orphans
            and open_pair is None
            and raw not in known_blocks
            and target
            and not target[-1].translation
        ):
            target[-1].translation, target[-1].line = raw, first.map[0] + 1
            continue
        last_translated = None
        open_pair = Pair(raw, previous=pending_previous)
        pending_previous = None
        target.append(open_pair)
    return result


def _looks_like(raw: str, known: set[str], open_pair: Pair) -> bool:
    """Whether ``raw`` is more likely a source block that changed than ``open_pair``'s translation.

    Only consulted for files without slots (written by hand, or imported): a slightly edited
    source paragraph resembles its new version in its words; a translation into another
    language does not (math, code and roles, which both share, are left out of the comparison).
    """
    if open_pair.previous is not None:
        return False
    return any(_similarity(raw, text, floor=0.75) > 0.75 for text in known)


def _align(old: list[Pair], new: list[Unit]) -> tuple[list[Pair], list[Pair]]:
    """Carry the old pairs over to the new units; return the new pairs and the orphans.

    Equal runs carry over as they are. Inside a run of changes, an edited block is recognised by
    its words: each translated old pair goes to the most similar new unit, if it is similar
    enough to be the same block edited; the rest are new (untranslated) or gone (orphaned).
    """
    matcher = difflib.SequenceMatcher(None, [p.source for p in old], [u.text for u in new], autojunk=False)
    pairs: list[Pair] = []
    orphans: list[Pair] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for pair, unit in zip(old[i1:i2], new[j1:j2], strict=True):
                pairs.append(Pair(unit.text, pair.translation, pair.previous, unit.item))
            continue
        translated = [p for p in old[i1:i2] if p.translation]
        news = new[j1:j2]
        scores = sorted(
            (
                (_similarity(p.source, u.text, floor=0.5), oi, ni)
                for oi, p in enumerate(translated)
                for ni, u in enumerate(news)
            ),
            reverse=True,
        )
        given: dict[int, Pair] = {}
        used: set[int] = set()
        for score, oi, ni in scores:
            if score < 0.5 or oi in used or ni in given:
                continue
            given[ni] = translated[oi]
            used.add(oi)
        for ni, unit in enumerate(news):
            mate = given.get(ni)
            if mate is None:
                pairs.append(Pair(unit.text, item=unit.item))
            else:
                previous = mate.previous if mate.previous is not None else mate.source
                pairs.append(Pair(unit.text, mate.translation, previous, unit.item))
        orphans += [p for oi, p in enumerate(translated) if oi not in used]
    return pairs, orphans


def render(source_text: str, current: list[Unit], pairs: list[Pair], orphans: list[Pair]) -> str:
    """The pair file: the chapter with each unit's translation inserted after it."""
    lines = source_text.rstrip("\n").split("\n")
    inserts: dict[int, tuple[list[str], bool]] = {}
    for unit, pair in zip(current, pairs, strict=True):
        if not pair.translation:
            if not unit.item:  # a list item's translation needs no slot: the item holds it
                inserts[unit.after] = (["", UNTRANSLATED], False)
            continue
        chunk: list[str] = []
        if pair.previous is not None:
            chunk += ["", f"{STALE} — the source changed; it was:", *pair.previous.split("\n"), "-->"]
        chunk += ["", *pair.translation.split("\n")]
        # inside a list item, everything is indented as the item's content, or the list ends there
        indent = unit.indent if unit.item else ""
        chunk = [f"{indent}{ln}" if ln.strip() else "" for ln in chunk]
        inserts[unit.after] = (chunk, unit.item)
    out: list[str] = []
    for index, line in enumerate(lines):
        out.append(line)
        if index in inserts:
            chunk, item = inserts[index]
            out += chunk
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following.strip() and not item:
                out.append("")  # a paragraph needs a blank line before what follows
    if orphans:
        out += ["", ORPHANED, ""]
        for pair in orphans:
            out += [pair.source, "", pair.translation, ""]
        while out and not out[-1]:
            out.pop()
    return "\n".join(out) + "\n"


@dataclass
class Status:
    page: str
    translated: int = 0
    stale: int = 0
    missing: int = 0
    orphaned: int = 0

    @property
    def total(self) -> int:
        return self.translated + self.stale + self.missing

    @property
    def percent(self) -> float:
        return round(100 * self.translated / self.total, 1) if self.total else 100.0


def total_status(name: str, statuses: list[Status]) -> Status:
    """The sum of pages' statuses (a language's)."""
    return Status(
        name,
        sum(s.translated for s in statuses),
        sum(s.stale for s in statuses),
        sum(s.missing for s in statuses),
        sum(s.orphaned for s in statuses),
    )


def status_of(page: str, pairs: list[Pair], orphans: list[Pair]) -> Status:
    status = Status(page, orphaned=sum(1 for o in orphans if o.translation))
    for pair in pairs:
        if not pair.translation:
            status.missing += 1
        elif pair.previous is not None:
            status.stale += 1
        else:
            status.translated += 1
    return status


def aligned_pairs(current: list[Unit], pair_text: str | None) -> tuple[list[Pair], list[Pair]]:
    """One pair per current unit, and the orphans, read from a pair file: how sync, status and
    the site all see a pair file, so they never disagree about what is translated."""
    if pair_text is None:
        return [Pair(u.text, item=u.item) for u in current], []
    held = read_pairs(pair_text, current)
    pairs, lost = _align(held.pairs, current)
    return pairs, _revive(pairs, held.orphans + lost)


def page_status(doc: Document, source_text: str, pair_text: str | None) -> Status:
    """What ``sync_text`` would report, without writing the pair file out."""
    pairs, orphans = aligned_pairs(units(doc, source_text), pair_text)
    return status_of(doc.name, pairs, orphans)


def read_pair_file(book: Book, lang: str, doc: Document) -> str | None:
    """The text of ``doc``'s pair file in ``lang``, or None when there is none yet."""
    path = pair_file(book.config.root, book.config.pages_root, lang, doc.path)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def sync_text(doc: Document, source_text: str, pair_text: str | None) -> tuple[str, Status]:
    """The pair file brought up to date with the chapter, and its status."""
    current = units(doc, source_text)
    pairs, orphans = aligned_pairs(current, pair_text)
    return render(source_text, current, pairs, orphans), status_of(doc.name, pairs, orphans)


def _revive(pairs: list[Pair], orphans: list[Pair]) -> list[Pair]:
    """An orphan whose source came back (an edit undone) takes its place again."""
    kept = []
    for orphan in orphans:
        home = next((p for p in pairs if p.source == orphan.source and not p.translation), None)
        if home is not None and orphan.translation:
            home.translation, home.previous = orphan.translation, orphan.previous
        elif orphan.translation:
            kept.append(orphan)
    return kept


def translated_blocks(doc: Document, source_text: str, pair_text: str) -> dict[int, tuple[str, str]]:
    """For each translatable block of ``doc`` (by its line): (state, text) where state is
    ``translated``, ``stale`` or ``missing``; list blocks get their items' translations merged."""
    current = units(doc, source_text)
    pairs, _ = aligned_pairs(current, pair_text)
    by_unit = dict(zip(current, pairs, strict=True))
    result: dict[int, tuple[str, str]] = {}
    cursor = 0
    for block in doc.text_blocks:
        if block.kind not in TRANSLATABLE or not _prose(block.source):
            continue
        if block.kind != "list":
            unit = current[cursor]
            cursor += 1
            pair = by_unit[unit]
            result[block.line] = _state(pair, pair.translation or block.source)
            continue
        result[block.line] = _translate_list(block, current, by_unit, cursor)
        cursor += len(_list_items(block.source))
    return result


def _state(pair: Pair, text: str) -> tuple[str, str]:
    if not pair.translation:
        return ("missing", text)
    return ("stale" if pair.previous is not None else "translated", text)


def _translate_list(
    block: TextBlock, current: list[Unit], by_unit: dict[Unit, Pair], cursor: int
) -> tuple[str, str]:
    body = block.source.split("\n")
    items = _list_items(block.source)
    out: list[str] = []
    states = []
    for offset, (start, end, column) in enumerate(items):
        pair = by_unit[current[cursor + offset]]
        states.append(_state(pair, "")[0])
        if pair.translation:
            translated = pair.translation.split("\n")
            out += [
                body[start][:column] + translated[0],
                *(" " * column + ln if ln else "" for ln in translated[1:]),
            ]
        else:
            out += body[start:end]
    state = (
        "missing" if all(s == "missing" for s in states) else ("stale" if "stale" in states else "translated")
    )
    if "missing" in states and state != "missing":
        state = "partial"
    return state, "\n".join(out)


@dataclass
class PageResult:
    """What a translate command found or did for one page."""

    page: str
    path: Path
    status: Status
    changed: bool = False
    created: bool = False


def pair_file(book_root: Path, pages_root: Path, lang: str, page_path: Path) -> Path:
    """``translations/<lang>/`` mirrors the pages folder."""
    return book_root / "translations" / lang / page_path.resolve().relative_to(pages_root)


def check_file(doc: Document, source_text: str, pair_text: str, path: str, diags: Diagnostics) -> None:
    """Lint every translated pair of one pair file (see :mod:`polybook.lint`)."""
    from .lint import check_pair

    current = units(doc, source_text)
    held = read_pairs(pair_text, current)
    for pair in [*held.pairs, *held.orphans]:
        if pair.translation and pair.line:
            check_pair(pair.source, pair.translation, path, pair.line, diags)
        for line, mark in pair.extra_marks:
            diags.add(
                Kind.TRANSLATION_EXTRA,
                f"{mark.strip()!r} under a translation: marks come from the source",
                path,
                line,
            )


def import_d2lbook(book: Book, lang: str, folder: Path) -> int:
    """Turn a d2lbook translation (``X.md`` translated, beside ``X_origin.md``, the English it
    was made from) into pair files, synced against today's chapters: the pairs whose English
    changed since come in stale, with the English they were made from beside them.

    :returns: how many pages were imported.
    """
    from .parser import parse_page

    config = book.config
    imported = 0
    frameworks = tuple(fw.name for fw in config.frameworks)
    for doc in book.pages:
        translated_path = folder / f"{doc.name}.md"
        origin_path = folder / f"{doc.name}_origin.md"
        if not (translated_path.is_file() and origin_path.is_file()):
            continue
        origin_text = origin_path.read_text(encoding="utf-8")
        translated_text = translated_path.read_text(encoding="utf-8")
        diags = Diagnostics()  # both are old texts: their flaws are not today's errors
        origin_units = units(
            parse_page(origin_text, doc.name, origin_path, str(origin_path), frameworks, diags), origin_text
        )
        translated_units = units(
            parse_page(translated_text, doc.name, translated_path, str(translated_path), frameworks, diags),
            translated_text,
        )
        # the translated file has the structure of its origin: pair the units kind by kind
        kinds = difflib.SequenceMatcher(
            None, [u.item for u in origin_units], [u.item for u in translated_units], autojunk=False
        )
        old: list[Pair] = []
        for op, i1, i2, j1, j2 in kinds.get_opcodes():
            for k, unit in enumerate(origin_units[i1:i2]):
                mate = translated_units[j1 + k] if op in ("equal", "replace") and j1 + k < j2 else None
                text = mate.text if mate is not None else ""
                old.append(Pair(unit.text, "" if text == unit.text else text, item=unit.item))
        source_text = doc.path.read_text(encoding="utf-8")
        current = units(doc, source_text)
        pairs, lost = _align(old, current)
        target = pair_file(config.root, config.pages_root, lang, doc.path)
        write_text(target, render(source_text, current, pairs, [p for p in lost if p.translation]))
        imported += 1
    return imported


NOTICES = {
    "en": (
        "This passage is not translated yet.",
        "The source of this passage changed since it was translated.",
    ),
    "ko": ("이 부분은 아직 번역되지 않았습니다.", "이 부분은 번역된 뒤에 원문이 바뀌었습니다."),
    "zh": ("这一段尚未翻译。", "这一段的原文在翻译之后有所修改。"),
    "ja": ("この部分はまだ翻訳されていません。", "この部分は翻訳後に原文が変更されました。"),
}


def translated_document(doc: Document, source_text: str, pair_text: str | None) -> Document:
    """The chapter in another language: each text block replaced by its translation.

    Marks (labels, widths, captions' labels), code and outputs stay the source's. A block with no
    translation keeps the source text and is marked ``untranslated``; a stale one ``stale``.
    """
    import copy

    from .parser import parse_page

    states = translated_blocks(doc, source_text, pair_text) if pair_text is not None else {}
    blocks = []
    for block in doc.blocks:
        if not isinstance(block, TextBlock) or block.kind not in TRANSLATABLE or not _prose(block.source):
            blocks.append(block)
            continue
        state, text = states.get(block.line, ("missing", block.source))
        new = copy.copy(block)
        new.translation_state = state
        if state != "missing" and text != block.source:
            parsed = parse_page(
                text, doc.name, doc.path, doc.display_path, tuple(doc.frameworks), Diagnostics()
            )
            found = parsed.text_blocks[0] if parsed.text_blocks else None
            new.source = text
            if found is not None:
                new.roles, new.images = found.roles, found.images
                if found.kind in ("figure", "heading", "table", "paragraph", "list", "blockquote"):
                    new.heading_level = found.heading_level or block.heading_level
        blocks.append(new)
    result = copy.copy(doc)
    result.blocks = blocks
    for block in result.text_blocks:
        if block.kind == "heading":
            result.title = block.source.split("\n", 1)[0].lstrip("#").strip()
            break
    return result
