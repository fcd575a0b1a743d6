"""Search that understands every language: splitters Sphinx lacks, named by the locale files.

- ``korean``: words without their particles and endings. Sphinx has no Korean splitter; its
  fallback indexes ``모델은`` and ``모델을`` as two words, so a search for ``모델`` finds neither.
  We split with Kiwi (kiwipiepy), a maintained Korean morphological analyser whose model ships
  inside a PyPI package, and index the content morphemes: nouns, verb and adjective stems,
  roots, foreign words and numbers. A query is split the same way in the browser by
  ``static/polybook-search.js``: a word the index lacks (``텐서를``, ``경사하강법``) is cut into
  words the index holds, a particle or ending at its end dropped.
- ``bigram``: Chinese and Japanese, written without spaces, as overlapping pairs of characters
  at both ends (the index here, the query in the browser): ``线性回归`` is ``线性 性回 回归``
  in the page and in the query, so a word is found whatever a dictionary thinks its words are
  (Sphinx's own Chinese splitter also breaks every Chinese page's search: its script names a
  ``ChineseStemmer`` that does not exist).

Latin words keep Sphinx's English stemming in both, in Python and in the browser alike.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import snowballstemmer
from sphinx.search import SearchLanguage

#: Kiwi's tags of the morphemes worth finding: nouns, stems, roots, foreign words, numbers.
_CONTENT = ("NN", "NR", "NP", "VV", "VA", "XR", "SL", "SH", "SN", "MAG")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
#: Runs of Han characters, kana and the iteration mark: the text bigrams are made of.
_CJK = re.compile(r"[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_SPLITTER_JS = """
/* polybook: the query split as the index was (see polybook-search.js) */
var splitQuery = (query) => window.polybookSplitQuery(query);
"""


@functools.cache
def _kiwi() -> Any:
    from kiwipiepy import Kiwi  # type: ignore[attr-defined]

    return Kiwi()


class _EnglishStemming(SearchLanguage):
    """Latin words stemmed as in English, by the same Snowball stemmer in Python and JavaScript."""

    js_stemmer_rawcode = "english-stemmer.js"
    js_splitter_code = _SPLITTER_JS

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__(options)
        self.stemmer = snowballstemmer.stemmer("english")

    def stem(self, word: str) -> str:
        return str(self.stemmer.stemWord(word.lower()))


class SearchKorean(_EnglishStemming):
    lang = "ko"
    language_name = "English"  # names the JavaScript stemmer (``EnglishStemmer``) Sphinx loads

    def split(self, input: str) -> list[str]:
        words = [t.form for t in _kiwi().tokenize(input) if t.tag.startswith(_CONTENT)]
        return words + _LATIN.findall(input)

    def word_filter(self, word: str) -> bool:
        return len(word) > 1 or not word.isascii()


def bigrams(text: str) -> list[str]:
    """The overlapping character pairs of each CJK run of ``text`` (a lone character alone):
    what a query asks for."""
    found = []
    for run in _CJK.findall(text):
        found += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return found


def index_terms(text: str) -> list[str]:
    """What a page's index holds of its CJK text: every pair, and every character alone (so a
    query of one character, or one that starts or ends a run, finds it too)."""
    return bigrams(text) + sorted(set("".join(_CJK.findall(text))))


class SearchBigram(_EnglishStemming):
    lang = ""
    language_name = "English"  # names the JavaScript stemmer (``EnglishStemmer``) Sphinx loads

    def split(self, input: str) -> list[str]:
        return index_terms(input) + _LATIN.findall(input)

    def word_filter(self, word: str) -> bool:
        return len(word) > 1 or not word.isascii()


class SearchChinese(SearchBigram):
    lang = "zh"


class SearchJapanese(SearchBigram):
    lang = "ja"


#: The splitters a locale file can name: per splitter, per language code.
SPLITTERS: dict[str, dict[str, type[SearchLanguage]]] = {
    "korean": {"ko": SearchKorean},
    "bigram": {"zh": SearchChinese, "ja": SearchJapanese},
}


def with_stems_kept(language: type[SearchLanguage]) -> type[SearchLanguage]:
    """``language`` stemming each distinct word once per build.

    Sphinx stems every word of every page as it indexes it, and Snowball is slow: d2l-en's
    pages hold 117,000 words, 12 s of stemming in the serial part of a build, though few of them
    are distinct. The stems are the ones ``language`` gives; only the repeats are skipped.
    """

    class StemsKept(language):  # type: ignore[valid-type,misc]
        def __init__(self, options: dict[str, str]) -> None:
            super().__init__(options)
            self._stems: dict[str, str] = {}

        def stem(self, word: str) -> str:
            stem = self._stems.get(word)
            if stem is None:
                stem = self._stems[word] = super().stem(word)
            return stem

    StemsKept.__name__ = StemsKept.__qualname__ = language.__name__
    return StemsKept


def search_language(sphinx_code: str) -> type[SearchLanguage] | None:
    """The class Sphinx would index a page of ``sphinx_code`` with (``zh_CN``: ``zh``'s)."""
    from importlib import import_module

    from sphinx.search import languages

    found = languages.get(sphinx_code) or languages.get(sphinx_code.partition("_")[0])
    if isinstance(found, str):
        module, name = found.rsplit(".", 1)
        found = getattr(import_module(module), name)
    return found
