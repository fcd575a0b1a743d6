"""Shared fixtures: the d2l-en corpus (test data outside the project) and tiny books."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("POLYBOOK_CORPUS", PROJECT.parent / "shared" / "corpus" / "d2l-en"))

# A CI job may share its execution cache (`POLYBOOK_CACHE=s3://… make test`): the tests' books
# must still execute what they expect to, so they never see it.
os.environ.pop("POLYBOOK_CACHE", None)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real d2l-en sources. CI has them beside the clone; a missing corpus is a failure."""
    if not (CORPUS / "config.ini").is_file():
        pytest.fail(f"the d2l-en corpus is not at {CORPUS}; set POLYBOOK_CORPUS to its folder")
    return CORPUS


MakeBook = Callable[..., Path]


@pytest.fixture
def make_book(tmp_path: Path) -> MakeBook:
    """Write a small book: ``make_book({"index.md": "...", "a.md": "..."}, frameworks=[...])``."""

    def make(pages: dict[str, str], frameworks: tuple[str, ...] = ("pytorch", "tensorflow", "mxnet")) -> Path:
        (tmp_path / "conf.py").write_text(
            f"project = 'Test book'\npolybook_frameworks = {list(frameworks)!r}\n"
        )
        for name, text in pages.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return tmp_path

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def free_port() -> int:
    """A port of localhost that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(folder: Path, port: int = 0) -> Iterator[str]:
    """Serve ``folder`` on localhost for the browser; yields its URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (`make test` installs it; never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()  # a new reader: empty local storage
    page = context.new_page()
    yield page
    context.close()


def build_html(root: Path) -> Path:
    """`polybook build html` on the book at ``root``: it must succeed with no Sphinx warning in
    any of the book's languages. Returns the site's folder."""
    from polybook.source.config import load_config

    polybook = str(Path(sys.executable).with_name("polybook"))
    done = subprocess.run(
        [polybook, "build", "html", "--source", str(root), "-j", "2"],
        capture_output=True,
        text=True,
        timeout=3000,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rendered = re.findall(r"html \((\w+)\) .*?(\d+) Sphinx warning\(s\)", done.stdout)
    assert [lang for lang, _ in rendered] == list(load_config(root).languages), done.stdout
    assert all(count == "0" for _, count in rendered), done.stdout + done.stderr
    return root / "_build" / "html"


AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's WCAG 2 A and AA violations on the page (`make test` installs axe-core from npm)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core (npm install)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const found = await axe.run(document, {runOnly: {type: 'tag', values:
                ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return found.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }"""
    )
    return list(result)
