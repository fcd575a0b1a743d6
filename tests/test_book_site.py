"""Our own book's site, in every language: built without a warning, searchable in Korean.

`make test` executes the book before the tests (`polybook eval`), so building the site here
reuses those outputs and executes nothing; run alone, it executes the book first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT, build_html, serve
from playwright.sync_api import Page

from polybook.config import load_config

LANGUAGES = load_config(PROJECT).languages


@pytest.fixture(scope="module")
def site() -> Path:
    return build_html(PROJECT)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


def search_terms(site: Path, lang: str) -> dict[str, object]:
    text = (site / lang / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    terms: dict[str, object] = index["terms"]
    return terms


def test_the_korean_index_holds_words_without_their_particles(site: Path) -> None:
    terms = search_terms(site, "ko")
    # the chapters write 모델은, 모델을, 모델의 …; the index has the word itself
    assert "모델" in terms and "텐서" in terms
    assert not {"모델은", "모델을", "텐서를", "텐서는"} & set(terms)


def test_korean_search_finds_the_tensor_page(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/search.html?q=%ED%85%90%EC%84%9C")  # 텐서
    page.wait_for_selector("#search-results li", timeout=15000)
    hits = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
    assert any(h.split("?")[0].endswith("/ko/chapter_preliminaries/tensors.html") for h in hits)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_there_in_every_language(site: Path, lang: str) -> None:
    chapters = PROJECT / "chapters"
    pages = {p.relative_to(chapters).with_suffix(".html") for p in chapters.rglob("*.md")}
    built = {p.relative_to(site / lang) for p in (site / lang).rglob("*.html")}
    assert pages <= built
