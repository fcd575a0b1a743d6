"""`translate export` and the import of its files: pair files as PO or XLIFF, for the tools
translation teams use (Weblate, Crowdin, OmegaT, Poedit).

One file per page (``DIR/<page>.po`` or ``.xlf``), one entry per unit. An entry's context
(``msgctxt``, an XLIFF ``id``) is the page and the unit's anchor: the label it carries, or the
label before it and its place after that label (``chapter_lr/intro#sec_lr.2``), so an anchor
holds while other sections change. A stale unit is marked fuzzy with the English it was
translated from as the previous ``msgid`` (``#|``); a draft is a fuzzy entry whose translator
comment says where it came from (an entry a reviewer marked fuzzy with no previous English
comes back as a draft: "needs work"); orphans are obsolete entries. Read back, the files are merged
into the pair files (an edited translation replaces the old one); a file exported and imported
with no edit gives the pair files back byte for byte. polib writes and reads PO,
translate-toolkit XLIFF 1.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polib
from translate.storage.xliff import xlifffile, xliffunit

from ..errors import UsageError
from ..fsutil import read_source, write_bytes, write_text
from .blocks import Chapter
from .pairs import Pair

FORMATS = {"po": ".po", "xliff": ".xlf"}
_LABEL = re.compile(r":label:`([^`]+)`")
DRAFT = "polybook:draft"
REVIEW = "review"
"""Where a draft came from when a translation tool marked the unit fuzzy ("needs work") with no
previous English: the translation comes back as a draft, to be checked, not as translated."""
PREVIOUS = "polybook-previous"
ITEM = "a list item"


def unit_anchors(chapter: Chapter) -> list[str]:
    """Each unit's anchor: its own label, or the label before it and its place after it."""
    lines = chapter.text.split("\n")
    found = []
    base, count = "top", 0
    for unit in chapter.units:
        own = _LABEL.search("\n".join(lines[unit.line - 1 : unit.after + 1]))
        if own and not unit.item:
            base, count = own.group(1), 0
            found.append(base)
            continue
        count += 1
        found.append(f"{base}.{count}")
    return found


@dataclass(frozen=True)
class Entry:
    """A unit as an exchange file holds it."""

    anchor: str
    source: str
    translation: str = ""
    previous: str | None = None
    draft: str = ""
    draft_from: str = ""
    item: bool = False
    where: str = ""


def entries(chapter: Chapter, pairs: list[Pair], chapter_path: str) -> list[Entry]:
    return [
        Entry(
            anchor,
            pair.source,
            pair.translation,
            pair.previous,
            pair.draft,
            pair.draft_from,
            unit.item,
            f"{chapter_path}:{unit.line}",
        )
        for anchor, unit, pair in zip(unit_anchors(chapter), chapter.units, pairs, strict=True)
    ]


# -- PO --------------------------------------------------------------------------------------------


def po_text(page: str, lang: str, book: str, found: list[Entry], orphans: list[Pair]) -> str:
    """A page as a PO file."""
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": book,
        "PO-Revision-Date": "2000-01-01 00:00+0000",
        "Last-Translator": "the pair files of translations/" + lang,
        "Language-Team": lang,
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Generator": "polybook",
    }
    for entry in found:
        flags: list[str] = []
        comment = ""
        msgstr = entry.translation
        if entry.translation and entry.previous is not None:
            flags.append("fuzzy")
        if entry.draft and not entry.translation:
            flags.append("fuzzy")
            msgstr = entry.draft
            comment = f"{DRAFT} {entry.draft_from}".strip()
        elif entry.draft:
            comment = f"{DRAFT} {entry.draft_from}".strip() + "\n" + entry.draft
        po.append(
            polib.POEntry(
                msgctxt=f"{page}#{entry.anchor}",
                msgid=entry.source,
                msgstr=msgstr,
                flags=flags,
                previous_msgid=entry.previous if entry.translation and entry.previous is not None else None,
                tcomment=comment,
                comment=ITEM if entry.item else "",
                occurrences=[tuple(entry.where.rsplit(":", 1))] if entry.where else [],
            )
        )
    for number, orphan in enumerate(orphans, start=1):
        po.append(
            polib.POEntry(
                msgctxt=f"{page}#orphan.{number}",
                msgid=orphan.source or f"(orphan {number})",
                msgstr=orphan.translation,
                obsolete=True,
            )
        )
    return str(po)


def read_po(path: Path) -> list[Pair]:
    """The pairs a PO file holds (obsolete entries left out: orphans stay in the pair file)."""
    try:
        po = polib.pofile(read_source(path), wrapwidth=0)
    except OSError as exc:
        raise UsageError(f"not a PO file: {exc}", path=str(path)) from exc
    pairs = []
    for entry in po:
        if entry.obsolete:
            continue
        pair = Pair(entry.msgid, item=entry.comment == ITEM)
        comment = entry.tcomment or ""
        fuzzy = "fuzzy" in entry.flags
        if comment.startswith(DRAFT):
            head, _, rest = comment.partition("\n")
            origin = head[len(DRAFT) :].strip()
            if rest:
                pair.draft, pair.draft_from = rest, origin
            else:
                pair.draft, pair.draft_from = entry.msgstr, origin
                fuzzy = False
                pairs.append(pair)
                continue
        if entry.msgstr and fuzzy and entry.previous_msgid is None:
            pair.draft, pair.draft_from = entry.msgstr, REVIEW  # marked "needs work" in the tool
        elif entry.msgstr:
            pair.translation = entry.msgstr
            if fuzzy:
                pair.previous = entry.previous_msgid
        pairs.append(pair)
    return pairs


# -- XLIFF -----------------------------------------------------------------------------------------


def xliff_bytes(page: str, lang: str, found: list[Entry], orphans: list[Pair]) -> bytes:
    """A page as an XLIFF 1.1 file."""
    store: xlifffile[xliffunit] = xlifffile(sourcelanguage="en", targetlanguage=lang)
    for entry in found:
        unit: xliffunit = store.addsourceunit(entry.source)
        unit.setid(f"{page}#{entry.anchor}")
        text = entry.translation or entry.draft
        if text:
            unit.target = text
        if entry.translation and entry.previous is not None:
            unit.markfuzzy(True)
            unit.addnote(entry.previous, origin=PREVIOUS)
        if entry.draft:
            unit.addnote(f"{DRAFT} {entry.draft_from}".strip(), origin="polybook-draft")
            if entry.translation:
                unit.addnote(entry.draft, origin="polybook-draft-text")
            else:
                unit.markfuzzy(True)
        if entry.item:
            unit.addnote(ITEM, origin="developer")
    for number, orphan in enumerate(orphans, start=1):
        unit = store.addsourceunit(orphan.source or f"(orphan {number})")
        unit.setid(f"{page}#orphan.{number}")
        unit.target = orphan.translation
        unit.addnote("orphan: its source is gone", origin="polybook-orphan")
    return bytes(store)


def read_xliff(path: Path) -> list[Pair]:
    """The pairs an XLIFF file holds (orphans left out)."""
    try:
        store: xlifffile[xliffunit] = xlifffile(inputfile=path.read_bytes())
    except Exception as exc:  # lxml's errors have no common base worth naming
        raise UsageError(f"not an XLIFF file: {exc}", path=str(path)) from exc
    pairs = []
    for unit in store.units:
        if unit.getnotes(origin="polybook-orphan"):
            continue
        pair = Pair(str(unit.source), item=unit.getnotes(origin="developer") == ITEM)
        target = str(unit.target) if unit.target else ""
        draft_note = unit.getnotes(origin="polybook-draft")
        if draft_note:
            origin = draft_note[len(DRAFT) :].strip()
            draft_text = unit.getnotes(origin="polybook-draft-text")
            if draft_text:
                pair.draft, pair.draft_from = draft_text, origin
            else:
                pair.draft, pair.draft_from = target, origin
                pairs.append(pair)
                continue
        if target and unit.isfuzzy() and not unit.getnotes(origin=PREVIOUS):
            pair.draft, pair.draft_from = target, REVIEW  # marked "needs work" in the tool
        elif target:
            pair.translation = target
            if unit.isfuzzy():
                pair.previous = unit.getnotes(origin=PREVIOUS)
        pairs.append(pair)
    return pairs


def write_exchange(
    fmt: str, target: Path, page: str, lang: str, book: str, found: list[Entry], orphans: list[Pair]
) -> bool:
    """Write one page's exchange file; whether it changed."""
    if fmt == "po":
        return write_text(target, po_text(page, lang, book, found, orphans))
    return write_bytes(target, xliff_bytes(page, lang, found, orphans))


def read_exchange(path: Path) -> list[Pair]:
    pairs = read_po(path) if path.suffix == ".po" else read_xliff(path)
    for pair in pairs:
        pair.translation, pair.draft = (
            _one_block(pair.translation, pair.source),
            _one_block(pair.draft, pair.source),
        )
    return pairs


_BLANK = re.compile(r"\n[ \t]*\n\s*")


def _one_block(text: str, source: str) -> str:
    """A translation as one block, like its source: a tool lets a translator end a line twice
    (two paragraphs), which the pair file would read as a translation and a block after it."""
    return _BLANK.sub("\n", text) if not _BLANK.search(source) else text


def exchange_file(folder: Path, page: str) -> Path | None:
    """The PO or XLIFF file of ``page`` in an export folder, if there is one."""
    for suffix in FORMATS.values():
        path = folder / f"{page}{suffix}"
        if path.is_file():
            return path
    return None


def is_exchange_folder(folder: Path) -> bool:
    return any(folder.rglob("*.po")) or any(folder.rglob("*.xlf"))
