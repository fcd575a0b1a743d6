"""`polybook translate check`: a translation must keep the marks of its source intact.

Roles and their targets, inline code, math and link targets are compared as sets between a
source block and its translation; the usual ways a mark breaks in translation are named (a
space or a typographic quote after a role, a role that lost its leading colon, a space between
`]` and `(`, a heading without its space, emphasis that does not close, a fence or an equation
left open); marks that the source lacks are errors. What a translation may not bring into the
site at all (raw HTML, files of the build machine) is :mod:`polybook.i18n.untrusted`'s.

A language's glossary, ``translations/<lang>/glossary.tsv``, holds one term a line:
``term<TAB>translation`` and, optionally, ``<TAB>notes``; ``#`` starts a comment. A source block
that has a term (in any case, plural included) whose translation lacks the term's translation is
reported per pair; a malformed line is an error at its line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token

from ..errors import Diagnostics, Kind
from ..fsutil import read_source
from ..source.markdown import INLINE_ROLES, parser, tokenize
from .blocks import prose

_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_MATH = re.compile(r"(?<!\\)\$\$?(.+?)(?<!\\)\$\$?", re.S)
_ROLE_NAMES = "|".join(sorted(INLINE_ROLES))
_QUOTES = "'‘’\"“”´"
_BROKEN_ROLE = re.compile(rf":({_ROLE_NAMES}):(?:\s+`|[{_QUOTES}])")
_NO_COLON = re.compile(rf"(?<![:\w`])({_ROLE_NAMES}):`([^`\n]*)`")
_QUOTE_CLOSED = re.compile(rf":({_ROLE_NAMES}):`([^`\n{_QUOTES}]*)([‘’“”´])")
_BROKEN_LINK = re.compile(r"\]\s+\((?:https?://|\.{0,2}/|[\w.-]+\.(?:md|html|svg|png|jpg))")
_MARK_LINE = re.compile(r"^\s*:(label|eqlabel|width|height|begin_tab|end_tab):`", re.M)
_FENCE_OPEN = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})")


def _inline(text: str) -> list[Token]:
    tokens = parser().parse(text)
    found = []
    for token in tokens:
        for child in token.children or []:
            found.append(child)
            found += child.children or []
    return found


def marks(text: str) -> dict[str, Counter[str]]:
    """What must survive translation: roles, inline code, math, link and image targets."""
    children = _inline(text)
    without_code = _CODE.sub("", text)
    return {
        "role": Counter(f":{c.meta['name']}:`{c.meta['target']}`" for c in children if c.type == "d2l_role"),
        # code spans as markdown-it sees them: a role's backticks are not code
        "code": Counter(c.content.strip() for c in children if c.type == "code_inline"),
        "math": Counter(m.group(1).strip() for m in _MATH.finditer(without_code)),
        "link": Counter(
            str(c.attrs.get("href") or c.attrs.get("src"))
            for c in children
            if c.type in ("link_open", "image")
        ),
    }


_KINDS = {
    "role": (Kind.TRANSLATION_ROLE, "role"),
    "code": (Kind.TRANSLATION_CODE, "inline code"),
    "math": (Kind.TRANSLATION_MATH, "math"),
    "link": (Kind.TRANSLATION_LINK, "link or image target"),
}


def _quote_closed(m: re.Match[str]) -> str:
    return (
        f"the role :{m.group(1)}:`{m.group(2)}{m.group(3)} is closed by the typographic quote "
        f"{m.group(3)}: close it with a backtick, :{m.group(1)}:`{m.group(2)}`"
    )


#: What a block breaks, found by pattern: (pattern, kind, message from the match).
_BREAKS: list[tuple[re.Pattern[str], Kind, Callable[[re.Match[str]], str]]] = [
    (
        _BROKEN_ROLE,
        Kind.TRANSLATION_BROKEN_ROLE,
        lambda m: f"broken role {m.group(0)!r}: write :{m.group(1)}:`…`",
    ),
    (
        _NO_COLON,
        Kind.TRANSLATION_BROKEN_ROLE,
        lambda m: (
            f"the role {m.group(1)}:`{m.group(2)}` lost its leading colon: write :{m.group(1)}:`{m.group(2)}`"
        ),
    ),
    (_QUOTE_CLOSED, Kind.TRANSLATION_BROKEN_ROLE, _quote_closed),
    (
        _BROKEN_LINK,
        Kind.TRANSLATION_BROKEN_LINK,
        lambda m: f"a space between ] and ( breaks the link: {m.group(0)!r}",
    ),
    (
        _MARK_LINE,
        Kind.TRANSLATION_EXTRA,
        lambda m: f"`:{m.group(1)}:` in a translation: marks come from the source, leave it out",
    ),
]


def check_source(source: str, path: str, line: int, diags: Diagnostics) -> None:
    """The breaks a source block can have too (a role without its colon), which its translations
    would then copy."""
    for match in _NO_COLON.finditer(source):
        diags.add(
            Kind.TRANSLATION_BROKEN_ROLE,
            _BREAKS[1][2](match),
            path,
            line + source.count("\n", 0, match.start()),
        )


def _stray_stars(text: str) -> int:
    """Asterisks left as text: emphasis that markdown-it could not open or close."""
    return sum(c.content.count("*") for c in _inline(_CODE.sub("", _MATH.sub("", text))) if c.type == "text")


def unclosed(text: str) -> int | None:
    """The line (0-based) of a fence, an ``$$`` equation or a ``:::`` directive that ``text``
    opens and never closes; on a page it would swallow everything after it."""
    lines = text.split("\n")
    for token in tokenize(text):
        if token.type == "fence" and token.map:
            start, end = token.map
            closing = lines[end - 1].strip() if end - 1 > start else ""
            if not closing.startswith(token.markup) or closing.strip(token.markup[0]):
                return start
        if token.type.startswith("math_block") and token.map:
            start, end = token.map
            if not lines[end - 1].rstrip().endswith("$$") or (
                end - 1 == start and lines[start].strip() == "$$"
            ):
                return start
    opened: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        match = _FENCE_OPEN.match(line)
        if match and match.group(1).startswith(":"):
            colons = match.group(1)
            rest = line.strip()[len(colons) :].strip()
            if rest:
                opened.append((index, colons))
            elif opened and len(colons) >= len(opened[-1][1]):
                opened.pop()
    return opened[0][0] if opened else None


def check_pair(source: str, translation: str, path: str, line: int, diags: Diagnostics) -> None:
    """Lint one translated block against its source block."""
    if not translation.strip():
        return
    for pattern, kind, message in _BREAKS:
        for match in pattern.finditer(translation):
            diags.add(kind, message(match), path, line + translation.count("\n", 0, match.start()))
    if source.lstrip().startswith("#") and re.match(r"^#{1,6}[^#\s]", translation):
        diags.add(Kind.TRANSLATION_HEADING, "the heading lost the space after its #", path, line)
    if _stray_stars(translation) > _stray_stars(source):
        diags.add(
            Kind.TRANSLATION_EMPHASIS,
            "unbalanced emphasis: a * that opens or closes nothing (next to a letter, * needs "
            "punctuation or a space on its outer side, e.g. *회귀* (regression), not *회귀(regression)*)",
            path,
            line,
        )
    where = unclosed(translation)
    if where is not None:
        diags.add(
            Kind.TRANSLATION_UNCLOSED,
            "this fence, equation or directive is never closed: the site shows the source instead",
            path,
            line + where,
        )
    theirs, ours = marks(source), marks(translation)
    for key, (kind, what) in _KINDS.items():
        # compared as sets: a translation may say a name of code twice where its source says it once
        missing = sorted(set(theirs[key]) - set(ours[key]))
        added = sorted(set(ours[key]) - set(theirs[key]))
        for item in missing:
            diags.add(kind, f"the translation lost the {what} {item!r} of its source", path, line)
        for item in added:
            diags.add(kind, f"the translation has the {what} {item!r}, which its source does not", path, line)


# -- the glossary: translations/<lang>/glossary.tsv -------------------------------------------

GLOSSARY = "glossary.tsv"


@dataclass(frozen=True)
class Term:
    term: str
    translation: str
    notes: str = ""
    line: int = 0

    @property
    def pattern(self) -> re.Pattern[str]:
        # a term starts a word and may take an ending (gradient, gradients)
        return re.compile(rf"(?<!\w){re.escape(self.term)}", re.I)


def read_glossary(path: Path, shown: str, diags: Diagnostics) -> list[Term]:
    """The terms of a glossary file; each malformed line reported at its line."""
    if not path.is_file():
        return []
    terms = []
    for number, line in enumerate(read_source(path).split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) not in (2, 3) or not fields[0].strip() or not fields[1].strip():
            diags.add(
                Kind.GLOSSARY,
                f"expected term<TAB>translation[<TAB>notes], found {len(fields)} field(s): {line.strip()!r}",
                shown,
                number,
            )
            continue
        notes = fields[2].strip() if len(fields) == 3 else ""
        terms.append(Term(fields[0].strip(), fields[1].strip(), notes, number))
    return terms


def check_glossary(
    terms: list[Term], source: str, translation: str, path: str, line: int, diags: Diagnostics
) -> None:
    """Report each term of ``source`` whose required translation ``translation`` lacks."""
    words = prose(source)
    for term in terms:
        if term.pattern.search(words) and term.translation.lower() not in translation.lower():
            note = f" ({term.notes})" if term.notes else ""
            diags.add(
                Kind.TRANSLATION_GLOSSARY,
                f"the glossary translates {term.term!r} as {term.translation!r}{note}, "
                "which this translation does not use",
                path,
                line,
            )
