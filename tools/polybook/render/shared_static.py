"""One static folder for every language: ``html/_static/`` holds what all languages' pages use.

Sphinx writes a ``_static/`` into each language's site: the theme, sphinx-design and 24 MB of
MathJax, the same bytes four times. After a language is built, each of its static files moves
to the shared folder (the newest build's copy wins) and its pages link there; the files Sphinx
writes per language (:data:`OWN`: the page options, the search's language data and stemmers,
the translated words of its scripts) stay in the language's own folder. The site then grows by
pages, not by copies.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path

from ..fsutil import write_text

OWN = re.compile(r"^(documentation_options\.js|language_data\.js|translations\.js|.*-stemmer\.js)$")
"""Static files whose content depends on the language: never shared."""
_LINK = re.compile(r'(?P<attr>(?:src|href)=")(?P<up>(?:\.\./)*)_static/(?P<path>[^"?#]+)')


def share_static(html: Path, lang: str, since: int = 0) -> int:
    """Move ``html/<lang>/_static`` files into ``html/_static`` where they are the same for every
    language and point the language's pages there; return how many pages were rewritten.

    :param since: only pages written after this time (ns) can link the language's own folder:
        the others were pointed at the shared one before.
    """
    own = html / lang / "_static"
    shared = html / "_static"
    if own.is_dir():
        for path in sorted(p for p in own.rglob("*") if p.is_file()):
            rel = path.relative_to(own)
            if OWN.match(rel.as_posix()):
                continue
            target = shared / rel
            if target.exists() and filecmp.cmp(path, target, shallow=False):
                path.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            os.chmod(target, 0o644)
        for folder in sorted((p for p in own.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    rewritten = 0
    for page in (html / lang).rglob("*.html"):
        if since and page.stat().st_mtime_ns <= since:
            continue
        text = page.read_text(encoding="utf-8")
        depth = "../" * (len(page.relative_to(html / lang).parts) - 1)

        def link(match: re.Match[str], depth: str = depth) -> str:
            rel = match.group("path")
            if match.group("up") != depth or OWN.match(rel) or not (shared / rel).is_file():
                return match.group(0)  # linked already, or the language's own
            return f"{match.group('attr')}{match.group('up')}../_static/{rel}"

        new = _LINK.sub(link, text)
        if new != text:
            rewritten += write_text(page, new)
    return rewritten
