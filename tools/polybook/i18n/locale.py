"""The words polybook itself shows in each language, read from ``locales/<code>.toml``.

A language is data: its name in its own script, the words polybook adds to pages (missing-version
notes, download links, "Chapter 2"), the notices on untranslated and stale passages, and for
the PDF its CJK font family, polyglossia's name and caption words. Adding German or Vietnamese
is adding a file; a language with no file gets the English words (the project warns).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..source.config import LANGUAGE_CODE

LOCALES = Path(__file__).parent / "locales"
SOURCE = "en"


@dataclass(frozen=True)
class PdfWords:
    """What XeLaTeX needs for a language that Sphinx's LaTeX writer does not know."""

    cjk_font: str = ""
    """The Noto CJK family (``SC``, ``JP``, ``KR``); empty for other scripts."""
    polyglossia: str = ""
    polyglossia_options: str = ""
    figure: str = ""
    table: str = ""
    xecjk_setup: str = ""


@dataclass(frozen=True)
class Locale:
    code: str
    name: str
    words: dict[str, str]
    notices: dict[str, str]
    sphinx_language: str = ""
    """The code Sphinx and docutils know the language by, when it differs (``zh_CN``)."""
    search: str = ""
    """polybook's own search splitter for the language (``korean``); empty: Sphinx's."""
    pdf: PdfWords = field(default_factory=PdfWords)
    found: bool = True
    """False when the language has no file and these are the English words."""

    @property
    def sphinx_code(self) -> str:
        return self.sphinx_language or self.code


def is_code(code: str) -> bool:
    return bool(LANGUAGE_CODE.match(code))


def available() -> list[str]:
    """The languages that have a locale file."""
    return sorted(path.stem for path in LOCALES.glob("*.toml"))


def _read(code: str) -> dict[str, Any]:
    with open(LOCALES / f"{code}.toml", "rb") as handle:
        return tomllib.load(handle)


@functools.cache
def locale(code: str) -> Locale:
    """The locale of ``code`` (``zh_CN`` finds ``zh``); English words when there is no file.

    Keys a file lacks fall back to the English ones, so a new word in ``en.toml`` never breaks
    an older translation's file.
    """
    english = _read(SOURCE)
    base = code.replace("-", "_").split("_")[0]
    found = is_code(code) and (LOCALES / f"{base}.toml").is_file()
    data: dict[str, Any] = _read(base) if found else {"name": code}
    pdf: dict[str, str] = data.get("pdf", {})
    return Locale(
        code=code,
        name=str(data.get("name", code)),
        words={**english["words"], **dict(data.get("words", {}))},
        notices={**english["notices"], **dict(data.get("notices", {}))},
        sphinx_language=str(data.get("sphinx_language", "")),
        search=str(data.get("search", "")),
        pdf=PdfWords(**pdf),
        found=found,
    )
