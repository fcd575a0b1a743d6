"""The tokenizer: markdown-it-py with plugins for the d2l dialect's marks.

d2l's marks are reStructuredText-like roles written in Markdown: ``:numref:`x``` inline, and
whole lines such as ``:label:`x``` or ``:begin_tab:`pytorch```. We parse them as markdown-it
tokens (``d2l_role`` inline, ``d2l_mark`` and ``d2l_caption`` as blocks) so that they are only
recognised where Markdown would see text, never inside code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

#: Roles written inside text.
INLINE_ROLES = frozenset({"numref", "ref", "eqref", "cite", "citet", "eqlabel", "label", "bibliography"})
#: Marks written alone on their own line, attached to the block before them.
LINE_MARKS = frozenset({"label", "eqlabel", "width", "height", "begin_tab", "end_tab"})

_ROLE_NAME = re.compile(r":([a-z_]+):")
_MARK_LINE = re.compile(r"(?::(?:label|eqlabel|width|height|begin_tab|end_tab):(?:`[^`\n]*`)?[ \t]*)+$")
_MARK = re.compile(r":([a-z_]+):(?:`([^`\n]*)`)?")
_CAPTION = re.compile(r":(?![a-z_]+:`) *(\S.*)$")


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _indented_code(state: StateBlock, line: int) -> bool:
    return state.sCount[line] - state.blkIndent >= 4


def _mark_line(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A line made only of marks, such as ``:label:`fig_x``` or ``:end_tab:``."""
    if _indented_code(state, start):
        return False
    text = _line(state, start).rstrip()
    if not text.startswith(":") or not _MARK_LINE.match(text):
        return False
    if silent:
        return True
    token = state.push("d2l_mark", "", 0)
    token.map = [start, start + 1]
    token.markup = text
    token.meta = {"marks": [(m.group(1), m.group(2)) for m in _MARK.finditer(text)]}
    state.line = start + 1
    return True


def _caption_line(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A table caption, ``: Caption text``, on the line(s) before a table."""
    if _indented_code(state, start):
        return False
    match = _CAPTION.match(_line(state, start))
    if not match or _MARK_LINE.match(_line(state, start)) or not _table_follows(state, start + 1, end):
        return False
    if silent:
        return True
    token = state.push("d2l_caption", "", 0)
    token.map = [start, start + 1]
    token.content = match.group(1).rstrip()
    state.line = start + 1
    return True


def _table_follows(state: StateBlock, line: int, end: int) -> bool:
    """Whether the next line that is neither blank nor a mark line starts a table."""
    while line < end:
        text = _line(state, line).strip()
        if text and not _MARK_LINE.match(text):
            return text.startswith("|")
        line += 1
    return False


def _role(state: StateInline, silent: bool) -> bool:
    """``:name:`content``` for the d2l roles; the backticks may be doubled like code spans."""
    src, pos = state.src, state.pos
    match = _ROLE_NAME.match(src, pos)
    if not match or match.group(1) not in INLINE_ROLES:
        return False
    tick = match.end()
    if tick >= state.posMax or src[tick] != "`":
        return False
    run_end = tick
    while run_end < state.posMax and src[run_end] == "`":
        run_end += 1
    fence = src[tick:run_end]
    close = src.find(fence, run_end)
    while close != -1 and close + len(fence) < len(src) and src[close + len(fence)] == "`":
        close = src.find(fence, close + len(fence) + 1)
    if close == -1 or close > state.posMax:
        return False
    if not silent:
        token = state.push("d2l_role", "", 0)
        token.meta = {"name": match.group(1), "target": src[run_end:close].strip()}
        token.content = src[pos : close + len(fence)]
    state.pos = close + len(fence)
    return True


@cache
def parser() -> MarkdownIt:
    """The one markdown-it instance of polybook (CommonMark, tables, $-math, d2l marks)."""
    md = MarkdownIt("commonmark").enable("table")
    dollarmath_plugin(md, allow_labels=True, allow_space=True, allow_digits=True, double_inline=True)
    md.block.ruler.before("paragraph", "d2l_mark", _mark_line, {"alt": ["paragraph", "list", "blockquote"]})
    md.block.ruler.before("paragraph", "d2l_caption", _caption_line)
    md.inline.ruler.before("backticks", "d2l_role", _role)
    return md


def tokenize(text: str) -> list[Token]:
    """Block tokens of ``text`` (with inline children), each block carrying ``map``."""
    return parser().parse(text)


def top_level_blocks(tokens: list[Token]) -> Iterator[list[Token]]:
    """Top-level blocks: each opening token with everything up to its closing token."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.nesting == 1:
            depth, j = 0, i
            while True:
                depth += tokens[j].nesting
                if depth == 0:
                    break
                j += 1
            yield tokens[i : j + 1]
            i = j + 1
        else:
            yield [token]
            i += 1
