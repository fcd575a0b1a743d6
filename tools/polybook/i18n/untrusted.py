"""What a translation may never bring into the site: it is input from outside the book.

Chapters are trusted; translations are not. A translation may not add raw HTML (a live
``<script>``, an ``onerror`` attribute, a ``javascript:`` link), may not read a file of the
build machine (``literalinclude``, ``include``, ``raw`` with ``:file:`` or ``:url:``, a
``download`` role, in MyST or in reStructuredText) and may not point at a path outside the book.
``translate check`` reports these with the other lints; ``build html`` and ``build pdf`` refuse
to publish a language whose pair files have any (:func:`check_untrusted`).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from ..errors import Diagnostics, Kind
from ..source.markdown import parser

KINDS = frozenset({Kind.TRANSLATION_HTML, Kind.TRANSLATION_FILE, Kind.TRANSLATION_PATH})

_TAG = re.compile(r"</?[a-zA-Z][\w-]*(?:\s[^<>]*)?>")
_SCRIPT = re.compile(r"<\s*script\b", re.I)
_HANDLER = re.compile(r"\s(on[a-z]+)\s*=", re.I)
_JAVASCRIPT = re.compile(r"\bjavascript\s*:", re.I)
_ATTR_URL = re.compile(r"""\b(?:src|href|srcset|data|action|poster)\s*=\s*["']?([^"'\s>]+)""", re.I)
_FILE_READERS = [
    (re.compile(r"\{(literalinclude|include|download)\}"), "the MyST {{{0}}}"),
    (re.compile(r"^\s*\.\.\s+(literalinclude|include)::", re.M), "the directive .. {0}::"),
    (re.compile(r":(download):`"), "the role :{0}:"),
    (
        re.compile(r"\{(raw|csv-table)\}[^\n]*(?:\n[^\n]*){0,8}?\n\s*:(?:file|url):", re.S),
        "{{{0}}} with :file: or :url:",
    ),
    (
        re.compile(r"^\s*\.\.\s+(raw|csv-table)::[^\n]*(?:\n[^\n]*){0,8}?\n\s*:(?:file|url):", re.M),
        ".. {0}:: with :file: or :url:",
    ),
]
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _html(source: str, translation: str) -> list[str]:
    """What is wrong with the raw HTML a translation adds, one message per thing."""
    problems = []
    added = Counter(_TAG.findall(translation)) - Counter(_TAG.findall(source))
    for tag in added:
        if _SCRIPT.match(tag):
            problems.append(f"raw HTML {tag!r}: a <script> element, which would run in readers' browsers")
        elif _HANDLER.search(tag):
            handler = _HANDLER.search(tag).group(1)  # type: ignore[union-attr]
            problems.append(f"raw HTML {tag!r}: an {handler} attribute, a script run by the browser")
        else:
            problems.append(f"raw HTML {tag!r} that the source does not have")
    if _JAVASCRIPT.search(translation) and not _JAVASCRIPT.search(source):
        problems.append("a javascript: link, a script run by the browser")
    return problems


def _targets(text: str) -> list[str]:
    """Link and image targets of a block, in Markdown and in raw HTML."""
    found = []
    for token in parser().parse(text):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrs.get("href", "")))
            elif child.type == "image":
                found.append(str(child.attrs.get("src", "")))
    found += _ATTR_URL.findall(text)
    return found


def outside(target: str, page_dir: Path, root: Path) -> bool:
    """Whether a link or image target names a file outside the book."""
    target = target.strip()
    if not target or target.startswith("#"):
        return False
    if _SCHEME.match(target):
        return not target.lower().startswith(_SAFE_SCHEMES)  # file:, data: …
    if target.startswith(("/", "\\", "~")):
        return True
    path = target.split("#", 1)[0].split("?", 1)[0]
    resolved = Path(os.path.normpath(page_dir / path))
    return not resolved.is_relative_to(root)


def check_untrusted(
    source: str, translation: str, path: str, line: int, page_dir: Path, root: Path, diags: Diagnostics
) -> None:
    """Report what one translation (or draft) may not bring into the site."""
    for problem in _html(source, translation):
        diags.add(Kind.TRANSLATION_HTML, problem, path, line)
    for pattern, what in _FILE_READERS:
        for match in pattern.finditer(translation):
            diags.add(
                Kind.TRANSLATION_FILE,
                f"{what.format(match.group(1))} reads a file of the build machine: not in a translation",
                path,
                line + translation.count("\n", 0, match.start()),
            )
    source_targets = set(_targets(source))
    for target in _targets(translation):
        if target not in source_targets and outside(target, page_dir, root):
            diags.add(
                Kind.TRANSLATION_PATH,
                f"{target!r} is outside the book: a translation may only use the book's own files",
                path,
                line + translation.count("\n", 0, max(translation.find(target), 0)),
            )
