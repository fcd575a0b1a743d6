"""The HTML site in a real browser: Debian's Chromium, driven by Playwright.

The fixture book (tests/fixtures/evalbook) is built once with `polybook build html` (executing its
notebooks in every framework's kernel), served on localhost at the address its configuration
says the site is published at, and read as a reader would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from conftest import build_html, free_port, serve
from playwright.sync_api import Browser, Page

FIXTURES = Path(__file__).parent / "fixtures"
PORT = free_port()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site") / "book"
    shutil.copytree(FIXTURES / "evalbook", root)
    with (root / "conf.py").open("a") as conf:  # notebooks install the d2l wheel from the site
        conf.write(f'polybook_site_url = "http://127.0.0.1:{PORT}/"\n')
        conf.write('polybook_repository = "https://github.com/example/evalbook"\n')
    return build_html(root)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serve(site, PORT) as url:
        yield url


def chosen(page: Page) -> list[str]:
    """The framework each framework tab set on the page shows."""
    return page.eval_on_selector_all(
        ".polybook-tabs",
        """sets => sets.map(set => set.querySelector(':scope > [role=tablist] > [aria-selected=true]')
            .dataset.syncId)""",
    )


def visible_code(page: Page) -> list[str]:
    """The text of the code cells a reader sees."""
    return [
        el.inner_text().strip()
        for el in page.query_selector_all(".polybook-tabs .cell_input")
        if el.is_visible()
    ]


def test_a_choice_switches_every_tab_set_and_persists(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_b/plain.html")
    assert chosen(page) == ["pytorch"]  # the configuration's first framework by default
    page.goto(f"{server}/en/chapter_a/uses_triple.html")
    assert chosen(page) == ["pytorch"]
    page.click(".polybook-tabs [role=tab][data-sync-id='tensorflow']")
    assert chosen(page) == ["tensorflow"]
    # the download menu follows: the TensorFlow notebook is the one offered
    page.click("details.polybook-download-menu > summary")
    offered = [
        a.inner_text() for a in page.query_selector_all("details.polybook-download-menu a") if a.is_visible()
    ]
    assert any("TensorFlow" in text for text in offered) and not any("PyTorch" in text for text in offered)
    page.goto(f"{server}/en/chapter_a/uses_double.html")
    assert visible_code(page) == ["from d2l import tensorflow as d2l", "print(d2l.double(21))"]
    assert page.is_visible(".polybook-tabs .cell_output:visible >> text=42")
    page.goto(f"{server}/en/chapter_b/plain.html")
    assert chosen(page) == ["tensorflow"]
    assert visible_code(page)[0].endswith("print('tensorflow says hello')")


def test_consecutive_framework_blocks_share_one_tab_bar(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_double.html")
    # an import per framework, then a cell for all: one run, one row of framework names
    assert len(page.query_selector_all(".polybook-tabs")) == 1
    assert page.eval_on_selector_all("[role=tablist]", "ls => ls.length") == 1


def test_the_tabs_are_aria_tabs_with_arrow_keys(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_double.html")
    tabs = page.locator("[role=tablist] [role=tab]")
    assert tabs.count() == 3
    first = tabs.nth(0)
    assert first.get_attribute("aria-selected") == "true"
    panel = page.locator(f"#{first.get_attribute('aria-controls')}")
    assert panel.get_attribute("role") == "tabpanel" and panel.is_visible()
    first.focus()
    page.keyboard.press("ArrowRight")
    assert chosen(page) == ["tensorflow"]
    assert page.evaluate("document.activeElement.dataset.syncId") == "tensorflow"
    page.keyboard.press("End")
    assert chosen(page) == ["mxnet"]
    page.keyboard.press("ArrowRight")  # round to the first
    assert chosen(page) == ["pytorch"]
    assert not panel.is_hidden()


def test_every_tab_stop_is_visible(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_double.html")
    hidden = []
    for _ in range(40):
        page.keyboard.press("Tab")
        box = page.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return null;
                const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                return {tag: e.tagName, cls: e.className, w: r.width, h: r.height,
                        shown: s.visibility !== 'hidden' && s.opacity !== '0'}; }"""
        )
        if box and not (box["w"] > 1 and box["h"] > 1 and box["shown"]):
            hidden.append(box)
    assert hidden == []


def test_the_url_selects_a_framework_in_any_case(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_a/uses_triple.html?framework=mxnet")
    assert chosen(page) == ["mxnet"]
    assert visible_code(page)[0] == "from d2l import mxnet as d2l"
    page.goto(f"{server}/en/chapter_a/uses_triple.html?framework=TensorFlow")
    assert chosen(page) == ["tensorflow"]
    page.goto(f"{server}/en/chapter_b/plain.html")
    assert chosen(page) == ["tensorflow"]  # and it is remembered


def test_an_unknown_framework_in_the_url_keeps_the_choice(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_b/plain.html?framework=mxnet")
    page.goto(f"{server}/en/chapter_a/uses_triple.html?framework=jax")
    assert chosen(page) == ["mxnet"]
    notice = page.locator(".polybook-framework-notice")
    assert notice.is_visible() and "jax" in notice.inner_text() and "MXNet" in notice.inner_text()
    page.goto(f"{server}/en/chapter_b/plain.html")
    assert chosen(page) == ["mxnet"]  # the stored choice survived
    assert page.locator(".polybook-framework-notice").count() == 0


@pytest.mark.parametrize("path", ["index.html", "chapter_a/uses_double.html", "chapter_b/prose.html"])
def test_no_image_is_broken(page: Page, server: str, path: str) -> None:
    page.goto(f"{server}/en/{path}")
    page.wait_for_load_state("load")
    broken = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == []


def test_a_figure_is_described_by_its_caption(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_b/prose.html")
    assert page.get_attribute("#fig-box img", "alt") == "A box, drawn for the tests."
    page.goto(f"{server}/ko/chapter_b/prose.html")
    assert page.get_attribute("#fig-box img", "alt") == "시험을 위해 그린 상자."


MYST = re.compile(
    r"\{(numref|ref|eq|cite:p|cite:t|figure|image|toctree|tab-set|container)\}|^\([\w-]+\)=$", re.M
)


def download(page: Page, server: str, page_path: str, framework: str) -> dict[str, object]:
    """The notebook the page's download menu offers for ``framework``, as a reader gets it."""
    page.goto(f"{server}/{page_path}?framework={framework}")
    page.click("details.polybook-download-menu > summary")
    link = page.locator(f"details.polybook-download-menu li[data-polybook-framework={framework}] a").first
    assert link.is_visible()
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.ok
    nb = nbformat.reads(response.text(), as_version=4)
    nbformat.validate(nb)
    return dict(nb)


def test_a_downloaded_notebook_runs_anywhere(page: Page, server: str) -> None:
    nb = download(page, server, "en/chapter_a/uses_double.html", "tensorflow")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["language_info"]["name"] == "python"
    cells = nb["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert not MYST.search(text), text
    assert "Fig. 5.1 shows a box" in text  # the reference as the site numbers it
    assert "colab.research.google.com/github/example/evalbook/blob/notebooks/en/tensorflow/" in text
    install = next(c for c in cells if c["cell_type"] == "code")
    assert f"d2l-book @ http://127.0.0.1:{PORT}/_downloads/d2l_book-0-py3-none-any.whl" in install["source"]
    assert "tensorflow-cpu" in install["source"]
    assert cells[-1]["outputs"][0]["text"] == "42\n"  # the site's outputs come along


def test_a_translated_page_offers_its_own_notebook_with_its_figure(page: Page, server: str) -> None:
    nb = download(page, server, "ko/chapter_a/uses_double.html", "pytorch")
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "그림 5.1" in text  # the Korean numbering, resolved
    prose = download(page, server, "ko/chapter_b/plain.html", "mxnet")
    assert any("5장" in "".join(c["source"]) for c in prose["cells"])


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
        assert nb["metadata"]["kernelspec"]["name"] == "python3"


def _framework_site_packages(name: str) -> Path:
    env = Path(__file__).resolve().parents[1] / "envs" / name
    found = sorted(env.resolve().glob("lib/python3*/site-packages"))
    if not found:
        pytest.fail(f"no environment for {name} at {env}: `make test` creates it")
    return found[0]


def test_a_downloaded_notebook_executes_in_a_clean_environment(
    page: Page, server: str, tmp_path: Path
) -> None:
    """A fresh virtual environment with no polybook and no d2l: the framework comes from its
    environment (no download), the book's d2l package from the wheel on the site, through the
    notebook's own first cell."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = download(page, server, "en/chapter_a/uses_double.html", "pytorch")
    venv = tmp_path / "reader"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    home = tmp_path / "home"  # the reader's folder: no d2l/ of a checkout beside them
    home.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=home, env=env)

    assert run("-c", "import d2l").returncode != 0
    purelib = run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    Path(purelib, "framework.pth").write_text(f"{_framework_site_packages('pytorch')}\n")
    kernels = tmp_path / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3",
                "language": "python",
            }
        )
    )
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)
    manager = KernelManager(kernel_name=nb["metadata"]["kernelspec"]["name"], kernel_spec_manager=specs)
    notebook = nbformat.from_dict(nb)
    client = NotebookClient(notebook, km=manager, timeout=600, resources={"metadata": {"path": str(home)}})
    client.execute(env=env, cwd=str(home))
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert notebook.cells[-1].outputs[-1]["text"].strip() == "42"
    assert "Version: 0" in run("-m", "pip", "show", "d2l-book").stdout  # installed from the site's wheel


def test_switching_language_keeps_the_page_and_the_framework(page: Page, server: str) -> None:
    page.goto(f"{server}/en/chapter_b/plain.html?framework=tensorflow")
    assert chosen(page) == ["tensorflow"]
    page.click(".polybook-languages a.polybook-lang-ko")
    page.wait_for_load_state()
    assert page.url.endswith("/ko/chapter_b/plain.html")
    assert chosen(page) == ["tensorflow"]  # the reader's framework follows them
    assert page.get_attribute("html", "lang") == "ko"


def test_every_page_links_the_translation_status_in_its_language(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/chapter_b/plain.html")
    page.click(".polybook-languages a:has-text('번역 현황')")
    page.wait_for_load_state()
    assert page.url.endswith("/ko/translation-status.html")
    article = page.inner_text("article")
    assert "번역 현황" in page.inner_text("h1") and "한국어 (ko)" in article and "% 번역됨" in article
    assert page.inner_text("table.polybook-status th >> nth=0") == "쪽"
    bars = page.query_selector_all("table.polybook-status .polybook-bar")
    assert len(bars) == 6  # one per page of the book


def test_a_translated_page_and_its_fallbacks(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/chapter_b/prose.html")
    assert page.inner_text("h1").startswith("산문만 있는 쪽")
    assert "여기에는 실행할 코드가 없지만" in page.inner_text("main")
    assert "그림 5.1" in page.inner_text("figure")  # Sphinx's own words in Korean
    page.goto(f"{server}/ko/chapter_a/uses_double.html")
    notices = page.locator(".polybook-page-notice")
    assert notices.count() == 1 and "번역되지 않아" in notices.inner_text()  # once for the page
    passages = page.locator(".polybook-untranslated")
    assert passages.count() >= 1
    assert passages.evaluate_all("ps => ps.map(p => p.lang)") == ["en"] * passages.count()
    page.goto(f"{server}/ko/chapter_b/plain.html")
    assert page.inner_text("a[href*='prose.html'] .std-numref") == "5장"  # a chapter, numbered in Korean


def test_korean_search_finds_a_word_without_its_particle(page: Page, server: str) -> None:
    page.goto(f"{server}/ko/search.html?q=%EC%83%81%EC%9E%90%EB%A5%BC")  # 상자를; the page writes 상자
    page.wait_for_selector("#search-results li", timeout=15000)
    hits = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
    assert any(h.split("?")[0].endswith("/ko/chapter_b/prose.html") for h in hits)


def test_the_site_root_follows_the_browsers_language(browser: Browser, server: str) -> None:
    for locale, landing in (("ko-KR", "/ko/index.html"), ("de-DE", "/en/index.html")):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(f"{server}/index.html")
        page.wait_for_url(f"**{landing}")
        context.close()


def test_one_static_folder_for_every_language(site: Path, page: Page, server: str) -> None:
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for lang in ("en", "ko"):
        assert not (site / lang / "_static" / "mathjax").exists()
    page.goto(f"{server}/ko/chapter_b/prose.html")
    icon = page.get_attribute("link[rel=icon]", "href")
    assert icon is not None and page.request.get(f"{server}/ko/chapter_b/{icon}").ok
    page.goto(f"{server}/en/chapter_a/saved.html")
    styles = page.eval_on_selector_all("link[rel=stylesheet]", "ls => ls.map(l => l.sheet !== null)")
    assert styles and all(styles)
