"""Our own book's site, in every language: built without a warning, searchable in every language,
on phones, without accessibility errors.

`make test` executes the book before the tests (`polybook eval`), so building the site here
reuses those outputs and executes nothing; run alone, it executes the book first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT, axe_violations, build_html, serve
from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page

from polybook.source.config import load_config

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


def hits_for(page: Page, server: str, lang: str, query: str) -> list[str]:
    """The pages a search on ``lang``'s site finds; no error on the way."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/{lang}/search.html?q={query}")
    page.wait_for_function(  # the search ran to its end: its heading no longer says "Searching"
        "typeof Search !== 'undefined' && !!Search.title"
        " && !Search.title.innerText.startsWith(Documentation.gettext('Searching'))",
        timeout=30000,
    )
    assert errors == []
    return [
        h.split("?")[0].split(f"/{lang}/", 1)[1]
        for h in page.eval_on_selector_all("#search-results li > a", "links => links.map(a => a.href)")
    ]


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("zh", "张量", "chapter_preliminaries/tensors.html"),
        ("zh", "线性回归", "chapter_linear-regression/linear-regression.html"),
        ("ko", "텐서를", "chapter_preliminaries/tensors.html"),  # with its particle
        ("ko", "회귀를", "chapter_linear-regression/linear-regression.html"),
        ("ko", "경사하강법", "chapter_linear-regression/linear-regression.html"),  # written 경사 하강법
        ("ja", "線形回帰", "chapter_preface/index.html"),  # no spaces in Japanese
        ("ja", "テンソル", "chapter_preliminaries/tensors.html"),
    ],
)
def test_search_understands_every_language(
    page: Page, server: str, lang: str, query: str, expected: str
) -> None:
    assert expected in hits_for(page, server, lang, query)


@pytest.mark.parametrize(("lang", "query"), [("ko", "텐서"), ("en", "tensor"), ("zh", "张量")])
def test_search_excerpts_are_the_pages_own_text(page: Page, server: str, lang: str, query: str) -> None:
    hits_for(page, server, lang, query)
    page.wait_for_function(  # every page's excerpt fetched
        "[...document.querySelectorAll('#search-results li.kind-text')]"
        ".every(li => li.querySelector('p.context'))",
        timeout=30000,
    )
    summaries = page.eval_on_selector_all("#search-results p.context", "ps => ps.map(p => p.textContent)")
    assert summaries
    text = " ".join(summaries)
    for chrome in ("System Settings", "Light", "Dark", "\\(", "\\[", "PyTorch TensorFlow MXNet"):
        assert chrome not in text, chrome
    for lang_name in ("English", "한국어", "日本語"):
        assert f"{lang_name} · " not in text  # the language line
    words = load_words(lang)
    for item in ("download", "zip"):  # the download menu's links
        assert words[item].format(fw="PyTorch") not in text


def load_words(lang: str) -> dict[str, str]:
    from polybook.i18n.locale import locale

    return locale(lang).words


def test_the_download_menu_is_not_indexed(site: Path) -> None:
    # "Download the PyTorch notebook" stood on every page: searching "notebook" found them all
    terms = search_terms(site, "en")
    assert "notebook" not in terms or len(terms["notebook"]) < 10  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [390, 768])
def test_the_phone_menu_and_contents_open(browser: Browser, server: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(f"{server}/ko/chapter_preliminaries/tensors.html")
    page.locator(".secondary-toggle:visible").click()
    contents = page.locator("#pst-secondary-sidebar-modal")
    assert contents.evaluate("d => d.open") and contents.locator("nav a").first.is_visible()
    page.keyboard.press("Escape")
    assert not contents.evaluate("d => d.open")
    page.locator(".primary-toggle:visible").click()
    menu = page.locator("#pst-primary-sidebar-modal")
    assert menu.evaluate("d => d.open")
    link = menu.locator("a[href$='chapter_linear-regression/index.html']").first
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/ko/chapter_linear-regression/index.html")
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_accessibility_errors(page: Page, server: str, lang: str) -> None:
    page.goto(f"{server}/{lang}/chapter_preliminaries/autograd.html")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []


def test_a_japanese_page_says_once_what_is_not_translated(page: Page, server: str) -> None:
    page.goto(f"{server}/ja/chapter_preliminaries/autograd.html")
    assert page.locator(".polybook-page-notice").count() == 1
    assert "この部分はまだ翻訳されていません。" not in page.inner_text("article")
    passages = page.locator(".polybook-untranslated")
    assert passages.count() > 1
    assert set(passages.evaluate_all("ps => ps.map(p => p.lang)")) == {"en"}


def test_the_korean_footer_reads_well(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/index.html")
    footer = page.inner_text("footer.bd-footer-content")
    assert "으로 The polybook authors" not in footer and "polybook authors" in footer


def test_korean_lines_break_between_words(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/chapter_preliminaries/tensors.html")
    breaks = page.eval_on_selector_all(".bd-article p", "ps => ps.map(p => getComputedStyle(p).wordBreak)")
    assert breaks and set(breaks) == {"keep-all"}  # "딥러닝", never "딥러 / 닝"
    page.goto(f"{server}/zh/chapter_preliminaries/tensors.html")  # Chinese breaks between characters
    assert page.eval_on_selector(".bd-article p", "p => getComputedStyle(p).wordBreak") == "normal"


def test_the_navigation_holds_every_chapter_and_the_readers_own_pages(site: Path) -> None:
    page = (site / "en" / "chapter_preliminaries" / "tensors.html").read_text()
    nav = page[page.index("bd-docs-nav") :]
    links = set(re.findall(r'href="([^"#]+)"', nav[: nav.index("</nav>")]))
    assert {"autograd.html", "../chapter_linear-regression/index.html"} <= links
    # another chapter's pages are one click away, not repeated in every page of the book
    assert "../chapter_linear-regression/linear-regression.html" not in links


def test_the_site_grows_by_pages_not_copies(site: Path) -> None:
    def size(folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())

    mathjax = size(site / "_static" / "mathjax")
    assert mathjax > 10_000_000
    for lang in LANGUAGES:
        assert size(site / lang) < mathjax  # each language: its pages, not another MathJax


MYST = re.compile(
    r"\{(numref|ref|eq|cite:p|cite:t|cite|figure|image|toctree|tab-set|container|bibliography)\}"
    r"|^\([\w-]+\)=$|\]\(\.\./",
    re.M,
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_downloadable_notebook_reads_as_plain_jupyter(site: Path, lang: str) -> None:
    notebooks = sorted((site / lang / "_notebooks").rglob("*.ipynb"))
    assert len(notebooks) >= 3 * 15
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert not MYST.search(text), (path, MYST.search(text))
        assert "%pip install" in "".join(nb["cells"][0]["source"] + nb["cells"][1]["source"])
    tensors = json.loads(
        (site / lang / "_notebooks" / "pytorch" / "chapter_preliminaries" / "tensors.ipynb").read_text()
    )
    text = "".join("".join(c["source"]) for c in tensors["cells"])
    assert {"ko": "텐서", "zh": "张量", "ja": "テンソル", "en": "Tensors"}[
        lang
    ] in text  # the page's language


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="线性回归张量の学習データ模型ab ", min_size=1, max_size=30), data=st.data())
def test_a_chinese_or_japanese_query_is_split_as_its_page_was(text: str, data: st.DataObject) -> None:
    """Any stretch of a page's text, searched for, asks only for words its page's index holds."""
    from polybook.render.search import bigrams, index_terms

    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert set(bigrams(text[start:end])) <= set(index_terms(text))


def test_the_browser_splits_queries_as_the_index_does(page: Page, server: str) -> None:
    from polybook.render.search import bigrams

    page.goto(f"{server}/ja/search.html")
    for query in ("線形回帰", "テンソルの作成", "学習率", "勾配降下法を使う"):
        split = page.evaluate("q => window.polybookSplitQuery(q)", query)
        assert split == bigrams(query)


def test_every_image_is_described_not_named_by_its_path(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/chapter_linear-regression/linear-regression-scratch.html")
    alts = page.eval_on_selector_all("article img", "imgs => imgs.map(i => i.getAttribute('alt'))")
    assert alts and all(alt and "/" not in alt and not alt.endswith(".svg") for alt in alts), alts
    assert "위 코드가 그린 그림" in alts  # a plot the code drew, in the page's language
