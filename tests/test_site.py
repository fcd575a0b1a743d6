"""The HTML site in a real browser: Debian's Chromium, driven by Playwright.

The fixture book (tests/fixtures/evalbook) is built once with `polybook build html` (executing its
notebooks in every framework's kernel), served on localhost, and read as a reader would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from conftest import build_html, serve
from playwright.sync_api import Page

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site") / "book"
    shutil.copytree(FIXTURES / "evalbook", root)
    return build_html(root)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


def chosen(page: Page) -> list[str]:
    """The framework each code tab set on the page shows."""
    return page.eval_on_selector_all(
        ".polybook-code-tabs",
        """sets => sets.map(set => {
            const input = [...set.querySelectorAll(':scope > input')].find(i => i.checked);
            return input.nextElementSibling.getAttribute('data-sync-id');
        })""",
    )


def visible_code(page: Page) -> list[str]:
    """The text of the code cells a reader sees."""
    return [
        el.inner_text().strip()
        for el in page.query_selector_all(".polybook-code-tabs .cell_input")
        if el.is_visible()
    ]


def test_a_choice_switches_every_tab_set_and_persists(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_b/plain.html")
    assert chosen(page) == ["pytorch"]  # the configuration's first framework by default
    page.goto(f"{server}/en/chapter_a/uses_double.html")
    sets = page.query_selector_all(".polybook-code-tabs")
    assert len(sets) == 2
    assert chosen(page) == ["pytorch", "pytorch"]
    sets[1].query_selector("label[data-sync-id='tensorflow']").click()
    assert chosen(page) == ["tensorflow", "tensorflow"]
    assert visible_code(page) == ["from d2l import tensorflow as d2l", "print(d2l.double(21))"]
    assert page.is_visible(".polybook-code-tabs .cell_output:visible >> text=42")
    page.goto(f"{server}/en/chapter_b/plain.html")
    assert chosen(page) == ["tensorflow"]
    assert visible_code(page)[0].endswith("print('tensorflow says hello')")


def test_the_url_selects_a_framework(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_triple.html?framework=mxnet")
    assert chosen(page) == ["mxnet", "mxnet"]
    assert visible_code(page)[0] == "from d2l import mxnet as d2l"


def test_a_numref_link_lands_on_its_figure(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_double.html")
    link = page.query_selector("a:has-text('Fig. ')")
    assert link is not None
    assert link.inner_text() == "Fig. 5.1"  # numbered within its chapter
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("/en/chapter_b/prose.html#fig-box")
    figure = page.query_selector("#fig-box")
    assert figure is not None and figure.is_visible()
    assert "A box, drawn for the tests." in figure.inner_text()


@pytest.mark.parametrize("path", ["index.html", "chapter_a/uses_double.html", "chapter_b/prose.html"])
def test_no_image_is_broken(page: Page, server: str, path: str) -> None:
    page.goto(f"{server}/en/{path}")
    page.wait_for_load_state("load")
    broken = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == []


def test_the_download_link_gives_the_chosen_frameworks_notebook(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_double.html?framework=tensorflow")
    link = page.query_selector(".polybook-download-bar .sd-tab-content:visible a:has-text('notebook')")
    assert link is not None
    assert "TensorFlow" in link.inner_text()
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.ok
    nb = nbformat.reads(response.text(), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "polybook-tensorflow"
    assert nb.cells[-1].outputs[0]["text"] == "42\n"


def test_the_site_root_sends_readers_to_the_source_language(page: Page, server: str) -> None:
    page.goto(f"{server}/index.html")
    page.wait_for_url("**/en/index.html")
    assert page.title().startswith("Execution test book")


def test_a_zip_of_every_notebook_per_framework(site: Path) -> None:
    import zipfile

    with zipfile.ZipFile(site / "en" / "_downloads" / "book-mxnet.zip") as archive:
        names = sorted(archive.namelist())
        assert names == [
            "book-mxnet/chapter_a/saved.ipynb",
            "book-mxnet/chapter_a/uses_double.ipynb",
            "book-mxnet/chapter_a/uses_triple.ipynb",
            "book-mxnet/chapter_b/plain.ipynb",
        ]
        nb = json.loads(archive.read("book-mxnet/chapter_b/plain.ipynb"))
        assert nb["metadata"]["kernelspec"]["name"] == "polybook-mxnet"


def test_switching_language_keeps_the_page_and_the_framework(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_b/plain.html?framework=tensorflow")
    assert chosen(page) == ["tensorflow"]
    page.click(".polybook-languages a.polybook-lang-ko")
    page.wait_for_load_state()
    assert page.url.endswith("/ko/chapter_b/plain.html")
    assert chosen(page) == ["tensorflow"]  # the reader's framework follows them
    assert page.get_attribute("html", "lang") == "ko"


def test_every_page_links_the_translation_status(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/chapter_b/plain.html")
    page.click(".polybook-languages a:has-text('번역 현황')")
    page.wait_for_load_state()
    assert page.url.endswith("/en/translation-status.html")
    assert "ko: " in page.inner_text("article")  # a section per translation language
    bars = page.query_selector_all("table.polybook-status .polybook-bar")
    assert len(bars) == 6  # one per page of the book


def test_a_translated_page_and_its_fallbacks(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/chapter_b/prose.html")
    assert page.inner_text("h1").startswith("산문만 있는 쪽")
    assert "여기에는 실행할 코드가 없지만" in page.inner_text("main")
    assert "그림 5.1" in page.inner_text("figure")  # Sphinx's own words in Korean
    page.goto(f"{server}/ko/chapter_a/uses_double.html")
    notice = page.eval_on_selector(".polybook-untranslated", "e => getComputedStyle(e, '::before').content")
    assert "번역되지 않았습니다" in notice
    page.goto(f"{server}/ko/chapter_b/plain.html")
    assert page.inner_text("a[href*='prose.html'] .std-numref") == "5장"  # a chapter, numbered in Korean


def test_korean_search_finds_a_word_without_its_particle(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/search.html?q=%EC%83%81%EC%9E%90")  # 상자, written 상자 in the page
    page.wait_for_selector("#search-results li", timeout=15000)
    hits = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
    assert any(h.split("?")[0].endswith("/ko/chapter_b/prose.html") for h in hits)
