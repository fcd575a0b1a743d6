"""A chapter or a pair file as one flat sequence of located elements.

Both are Markdown of the d2l dialect, read with the same tokenizer: each top-level block becomes
an :class:`Element` (a text block, a list item, a code fence or an equation, a mark line,
one of polybook's own comments), with its lines. The translatable ones of a chapter are its
:class:`Unit`\\ s: text blocks with words, each item of such a list, and table captions.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from markdown_it.token import Token

from ..source.markdown import parser, top_level_blocks

#: Block kinds whose words are translated.
TRANSLATABLE = frozenset({"heading", "paragraph", "figure", "table", "blockquote", "list", "caption"})

HEADER = "<!-- polybook pair file"
UNTRANSLATED = "<!-- polybook:untranslated -->"
"""Stands where a block's translation will go: so the file says which block is which even
after the source changes (a changed source block is otherwise hard to tell from a translation)."""
STALE = "<!-- polybook:stale"
DRAFT = "<!-- polybook:draft"
ORPHANED = "<!-- polybook:orphaned"
UNPAIRED = "<!-- polybook:unpaired"
MARKERS = {
    UNTRANSLATED: "slot",
    STALE: "stale",
    DRAFT: "draft",
    ORPHANED: "orphaned",
    UNPAIRED: "unpaired",
    HEADER: "header",
}

ATTACHED_MARK = re.compile(r"^\s*:(label|eqlabel|width|height):`[^`]*`\s*$")
_TAB_MARK = re.compile(r":(begin_tab|end_tab):(?:`([^`]*)`)?")
_BULLET = re.compile(r"\s*(?:[*+-]|\d+[.)])\s+")
_MARKUP = re.compile(r"\$\$?.+?\$\$?|`+[^`]*`+|:\w+:|\]\([^)]*\)|[^\w\s]", re.S)
_DRAFT_SCORE = re.compile(r"polybook:draft\s+(\S+)")


def prose(text: str) -> str:
    """A block's words without math, code, roles, link targets and punctuation: what a
    translation does not share with its source."""
    return " ".join(_MARKUP.sub(" ", text).split())


@dataclass(frozen=True)
class Unit:
    """A translatable piece of the chapter: a text block, one item of a list, a table caption."""

    text: str
    """Its source text (a list item: its content without the bullet; a caption: its line)."""
    after: int
    """0-based index of the chapter line after which its translation goes."""
    indent: str = ""
    """For a list item: the indentation of the item's content."""
    item: bool = False
    kind: str = "paragraph"
    line: int = 0
    """1-based line of its first line in the chapter."""
    block_line: int = 0
    """1-based line of the Document block it belongs to (a list's, a caption's table's)."""


@dataclass
class Element:
    """One top-level block of a chapter or a pair file (a list gives one per item)."""

    role: str
    """``text`` (a translatable kind), ``item``, ``struct`` (code, math, HTML, rules: written once),
    ``mark`` (a line of marks) or ``marker`` (a polybook comment)."""
    kind: str
    text: str
    line: int
    """1-based line of its first line."""
    end: int
    """1-based line of its last line."""
    tab: str = ""
    """The frameworks of the prose tab it is in (``:begin_tab:`pytorch```), empty outside one."""
    column: int = 0
    """For an item: the column its content starts at."""
    list_line: int = 0
    """For an item: the line of its list."""


def block_tokens(text: str) -> list[Token]:
    """The block tokens of ``text`` (the tokenizer's, without inline parsing: the blocks and their
    lines are all a pair file's reading needs, at two thirds of the time)."""
    md = parser()
    tokens: list[Token] = []
    md.block.parse(text, md, {}, tokens)
    return tokens


def list_items(source: str) -> list[tuple[int, int, int]]:
    """(first line, end line, content column) of each top-level item of a list's source."""
    items = []
    lines = source.split("\n")
    for token in block_tokens(source):
        if token.type == "list_item_open" and token.level == 1 and token.map:
            start, end = token.map
            marker = _BULLET.match(lines[start])
            items.append((start, end, marker.end() if marker else 2))
    return items


def item_content(item_lines: list[str], column: int) -> str:
    """An item's text without its bullet and indentation. A continuation line may be indented
    less than the content (a "lazy" line); it loses only the spaces it has."""
    rest = [ln[min(column, len(ln) - len(ln.lstrip(" "))) :] for ln in item_lines[1:]]
    return "\n".join([item_lines[0][column:], *rest])


def attached_end(lines: list[str], end: int) -> int:
    """The line after a block's end, past the mark lines that belong to it (``:label:``…),
    including marks written after a blank line (the parser attaches those too)."""
    probe = end
    while True:
        while probe < len(lines) and not lines[probe].strip():
            probe += 1
        if probe < len(lines) and ATTACHED_MARK.match(lines[probe]):
            probe += 1
            end = probe
            continue
        return end


def _raw(lines: list[str], start: int, end: int) -> tuple[str, int]:
    """Lines ``start``..``end`` without trailing blank lines, and the index after the last one kept."""
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), end


_FIGURE = re.compile(r"^\s*!\[(?:[^\]\\]|\\.)*\]\([^)]*\)\s*$", re.S)


def _is_figure(text: str) -> bool:
    """A paragraph that holds one image and nothing else."""
    return bool(_FIGURE.match(text)) and text.count("![") == 1


_TEXT_KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "table_open": "table",
    "blockquote_open": "blockquote",
}


def marker_kind(text: str) -> str | None:
    """Which polybook comment ``text`` is (``slot``, ``stale``…), or None."""
    stripped = text.lstrip()
    for prefix, kind in MARKERS.items():
        if stripped.startswith(prefix):
            return kind
    return None


def escape_comment(text: str) -> str:
    """``text`` fit to stand inside an HTML comment: an arrow ``-->`` in it would end the
    comment (a stale note's old source), so it is written ``--&gt;``."""
    return text.replace("-->", "--&gt;")


def unescape_comment(text: str) -> str:
    return text.replace("--&gt;", "-->")


def stale_previous(comment: str) -> str:
    """The previous source text a stale comment holds."""
    body = comment.strip()
    _, _, rest = body.partition("\n")
    return unescape_comment(rest.rsplit("-->", 1)[0].strip("\n")) if rest else ""


def draft_score(comment: str) -> str:
    """``score=0.87`` or ``mt=name``: where a draft came from."""
    match = _DRAFT_SCORE.search(comment)
    return match.group(1).rstrip("-").strip() if match else ""


_OPENER = re.compile(r"^(\s*)(`{3,}|~{3,}|\$\$)")


def _unclosed(text: str) -> tuple[list[Token], set[int]]:
    """The block tokens of ``text``, read as if a fence or ``$$`` that is never closed were a line
    of text (else it would swallow every block after it); and the lines of such openers."""
    lines = text.split("\n")
    opened: set[int] = set()
    while True:
        tokens = block_tokens("\n".join(lines))
        last = next(
            (
                t
                for t in tokens
                if t.map and (t.type == "fence" or t.type.startswith("math_block")) and not _closes(lines, t)
            ),
            None,
        )
        if last is None or last.map is None:
            return tokens, opened
        start = last.map[0]
        opened.add(start)
        match = _OPENER.match(lines[start])
        if match is None:
            return tokens, opened
        # the same line, its opener made plain text (the line keeps its place and length)
        lines[start] = match.group(1) + "\\" + lines[start][len(match.group(1)) + 1 :]


def _closes(lines: list[str], token: Token) -> bool:
    """Whether a fence or equation ends where its author meant it to: at its own closing line,
    with no other fence's opening line and (an equation) no blank line inside it, which mean it
    ran on into the blocks after it."""
    start, end = token.map or (0, 0)
    last = lines[end - 1].strip()
    inner = lines[start + 1 : end - 1]
    if token.type == "fence":
        marker = token.markup
        opener = re.compile(rf"^\s*{re.escape(marker[0])}{{{len(marker)},}}\s*\S")
        closed = end - 1 > start and last.startswith(marker) and not last.strip(marker[0])
        return closed and not any(opener.match(line) for line in inner)
    closed = last.endswith("$$") and (end - 1 > start or lines[start].strip().count("$$") >= 2)
    return closed and all(line.strip() for line in inner)


def elements(text: str) -> list[Element]:
    """The blocks of ``text`` in order, each list item as an element of its own. A fence or an
    equation never closed is a block of its own line (kind ``unclosed``), not the rest of the file."""
    lines = text.split("\n")
    found: list[Element] = []
    tab = ""
    tokens, opened = _unclosed(text)
    for group in top_level_blocks(tokens):
        first = group[0]
        if first.map is None:
            continue
        start, end = first.map
        raw, stop = _raw(lines, start, end)
        if first.type == "d2l_mark":
            for name, arg in _TAB_MARK.findall(first.markup):
                tab = arg.strip() or "all" if name == "begin_tab" else ""
            found.append(Element("mark", "mark", first.markup.strip(), start + 1, start + 1, tab))
            continue
        if first.type == "d2l_caption":
            found.append(Element("text", "caption", lines[start].rstrip(), start + 1, start + 1, tab))
            continue
        if first.type in ("bullet_list_open", "ordered_list_open"):
            found += _items(lines, start, stop, tab)
            continue
        if first.type == "html_block":
            kind = marker_kind(raw)
            if kind is not None:
                found.append(Element("marker", kind, raw, start + 1, stop, tab))
            else:
                found.append(Element("struct", "html", raw, start + 1, stop, tab))
            continue
        kind = _TEXT_KINDS.get(first.type)
        if start in opened:
            found.append(Element("text", "unclosed", raw, start + 1, stop, tab))
            continue
        if kind is None:
            struct = "math" if first.type.startswith("math_block") else first.type
            found.append(Element("struct", struct, raw, start + 1, stop, tab))
            continue
        if kind == "paragraph" and _is_figure(raw):
            kind = "figure"
        found.append(Element("text", kind, raw, start + 1, stop, tab))
    return found


def _items(lines: list[str], start: int, stop: int, tab: str) -> list[Element]:
    body = lines[start:stop]
    found = []
    for first, end, column in list_items("\n".join(body)):
        item_lines = body[first:end]
        while item_lines and not item_lines[-1].strip():
            item_lines.pop()
        content = item_content(item_lines, column)
        line = start + first + 1
        found.append(
            Element("item", "item", content, line, line + len(item_lines) - 1, tab, column, start + 1)
        )
    return found


def units(text: str, chapter: list[Element] | None = None) -> list[Unit]:
    """The translatable units of a chapter, in order (``chapter``: its elements, when known)."""
    lines = text.split("\n")
    found: list[Unit] = []
    chapter = elements(text) if chapter is None else chapter
    lists_with_words = _lists_with_words(chapter)
    tables = [e.line for e in chapter if e.kind == "table"]
    for element in chapter:
        if element.role == "item":
            if element.list_line not in lists_with_words:
                continue  # nothing to translate in the whole list (a list of formulas)
            found.append(
                Unit(
                    element.text,
                    element.end - 1,
                    " " * element.column,
                    True,
                    "item",
                    element.line,
                    element.list_line,
                )
            )
            continue
        if element.role != "text" or not prose(element.text):
            continue  # nothing to translate: no text, or only marks (a `:bibliography:` line)
        block_line = element.line
        if element.kind == "caption":
            block_line = next((t for t in tables if t > element.line), element.line)
        after = attached_end(lines, element.end) - 1
        if "$$" in element.text and any(":eqlabel:" in ln for ln in lines[element.end : after + 1]):
            continue  # the parser reads a paragraph with an `$$` equation and its `:eqlabel:` as math
        found.append(Unit(element.text, after, "", False, element.kind, element.line, block_line))
    return found


def _lists_with_words(chapter: list[Element]) -> set[int]:
    """Lines of the lists that have words somewhere in them."""
    by_list: dict[int, list[str]] = {}
    for element in chapter:
        if element.role == "item":
            by_list.setdefault(element.list_line, []).append(element.text)
    return {line for line, items in by_list.items() if prose("\n".join(items))}


@dataclass
class Chapter:
    """Today's chapter as the reader needs it: its units and all its blocks."""

    text: str
    units: list[Unit]
    elements: list[Element]

    @classmethod
    def of(cls, text: str) -> Chapter:
        return _chapter(text)


@functools.lru_cache(maxsize=64)
def _chapter(text: str) -> Chapter:
    """A chapter read once, however many pair files and commands read it (it is never changed)."""
    found = elements(text)
    return Chapter(text, units(text, found), found)
