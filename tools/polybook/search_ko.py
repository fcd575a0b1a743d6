"""Korean for Sphinx's search index: words without their particles and endings.

Sphinx has no Korean splitter; its fallback indexes ``모델은`` and ``모델을`` as two words, so a
search for ``모델`` finds neither. We split with Kiwi (kiwipiepy), a maintained Korean
morphological analyser whose model ships inside a PyPI package (no download at run time), and
index the content morphemes: nouns, verb and adjective stems, roots, foreign words and numbers.
A rule list of particles would miss endings and compound forms; Kiwi handles both.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sphinx.search import SearchLanguage

#: Kiwi's tags of the morphemes worth finding: nouns, stems, roots, foreign words, numbers.
_CONTENT = ("NN", "NR", "NP", "VV", "VA", "XR", "SL", "SH", "SN", "MAG")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]+")


@functools.cache
def _kiwi() -> Any:
    from kiwipiepy import Kiwi  # type: ignore[attr-defined]

    return Kiwi()


class SearchKorean(SearchLanguage):
    lang = "ko"
    language_name = "Korean"

    def split(self, input: str) -> list[str]:
        words = [t.form for t in _kiwi().tokenize(input) if t.tag.startswith(_CONTENT)]
        return words + _LATIN.findall(input)

    def word_filter(self, word: str) -> bool:
        return len(word) > 1 or not word.isascii()

    def stem(self, word: str) -> str:
        return word.lower()
