"""`polybook translate check`: a translation must keep the marks of its source intact.

Roles and their targets, inline code, math and link targets are compared as multisets between
a source block and its translation; the usual ways a mark breaks in translation (a space or a
typographic quote after a role, a space between `]` and `(`, a heading without its space) are
named; marks and raw HTML that the source lacks are errors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from .errors import Diagnostics, Kind
from .markdown import INLINE_ROLES, parser

_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_MATH = re.compile(r"(?<!\\)\$\$?(.+?)(?<!\\)\$\$?", re.S)
_ROLE_NAMES = "|".join(sorted(INLINE_ROLES))
_BROKEN_ROLE = re.compile(rf":({_ROLE_NAMES}):(?:\s+`|['‘’\"“”´])")
_BROKEN_LINK = re.compile(r"\]\s+\((?:https?://|\.{0,2}/|[\w.-]+\.(?:md|html|svg|png|jpg))")
_MARK_LINE = re.compile(r"^\s*:(label|eqlabel|width|height|begin_tab|end_tab):`", re.M)
_HTML = re.compile(r"</?[a-zA-Z][\w-]*(?:\s[^<>]*)?>")


def _inline(text: str) -> list:  # type: ignore[type-arg]
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


#: What a translation breaks, found by pattern: (pattern, kind, message from the match).
_BREAKS: list[tuple[re.Pattern[str], Kind, Callable[[re.Match[str]], str]]] = [
    (
        _BROKEN_ROLE,
        Kind.TRANSLATION_BROKEN_ROLE,
        lambda m: f"broken role {m.group(0)!r}: write :{m.group(1)}:`…`",
    ),
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


def check_pair(source: str, translation: str, path: str, line: int, diags: Diagnostics) -> None:
    """Lint one translated block against its source block."""
    if not translation.strip():
        return
    for pattern, kind, message in _BREAKS:
        for match in pattern.finditer(translation):
            diags.add(kind, message(match), path, line + translation.count("\n", 0, match.start()))
    if source.lstrip().startswith("#") and re.match(r"^#{1,6}[^#\s]", translation):
        diags.add(Kind.TRANSLATION_HEADING, "the heading lost the space after its #", path, line)
    extra_html = Counter(_HTML.findall(translation)) - Counter(_HTML.findall(source))
    for tag in extra_html:
        diags.add(Kind.TRANSLATION_HTML, f"raw HTML {tag!r} that the source does not have", path, line)
    theirs, ours = marks(source), marks(translation)
    for key, (kind, what) in _KINDS.items():
        # compared as sets: a translation may say a name of code twice where its source says it once
        missing = sorted(set(theirs[key]) - set(ours[key]))
        added = sorted(set(ours[key]) - set(theirs[key]))
        for item in missing:
            diags.add(kind, f"the translation lost the {what} {item!r} of its source", path, line)
        for item in added:
            diags.add(kind, f"the translation has the {what} {item!r}, which its source does not", path, line)
