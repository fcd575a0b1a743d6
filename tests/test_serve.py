"""`polybook serve` as an author uses it: start it, edit files, watch the browser follow.

Each fixture starts the real command on a copy of a fixture book and reads its status API
(`/_polybook/status`, one record per rebuild) to check that every kind of edit does exactly
the work it needs: a prose edit executes nothing, a code edit executes its page, a `#@save`
edit the pages that use the symbol, a translation edit renders only its language.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from websockets.sync.client import connect

FIXTURES = Path(__file__).parent / "fixtures"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))


class Server:
    """A running `polybook serve` on a book of its own."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root = root
        self.process = subprocess.Popen(
            [POLYBOOK, "serve", "--source", str(root), "--port", "0", "-j", "2", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        self.lines: list[str] = []
        for line in self.process.stdout:
            self.lines.append(line)
            match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if match:
                self.url = match.group(1)
                return
        raise AssertionError("serve did not start:\n" + "".join(self.lines) + self.process.stderr.read())

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"{self.url}/{path}", timeout=30) as response:
            return response.read().decode()

    def builds(self) -> list[dict[str, Any]]:
        data: dict[str, Any] = json.loads(self.get("_polybook/status"))
        return data["builds"]

    def status(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.get("_polybook/status"))
        return data

    def edit(self, page: str, old: str, new: str, timeout: float = 300) -> dict[str, Any]:
        """Change ``old`` to ``new`` in ``page``; the record of the rebuild that follows."""
        text = (self.root / page).read_text()
        assert old in text, (page, old)
        return self.write(page, text.replace(old, new, 1), timeout)

    def write(self, page: str, text: str, timeout: float = 300) -> dict[str, Any]:
        """Write ``page``; the record of the rebuild that follows."""
        known = len(self.builds())
        (self.root / page).write_text(text)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            builds = self.builds()
            if len(builds) > known:
                return builds[-1]
            time.sleep(0.1)
        raise AssertionError(f"no rebuild after editing {page}")

    def stop(self) -> tuple[int, str]:
        os.killpg(self.process.pid, signal.SIGINT)
        _, err = self.process.communicate(timeout=60)
        return self.process.returncode, err


def copy_book(tmp_path: Path) -> Path:
    root = tmp_path / "evalbook"
    shutil.copytree(FIXTURES / "evalbook", root)
    return root


@pytest.fixture(scope="module")
def executing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A preview that executes (PyTorch only, to keep it short)."""
    server = Server(copy_book(tmp_path_factory.mktemp("serve-exec")), "--framework", "pytorch")
    yield server
    code, err = server.stop()
    assert code == 130 and "Traceback" not in err, err


def reloads_of(socket: Any, page: str, seconds: float = 60) -> list[dict[str, Any]]:
    """The messages a browser gets until one reloads ``page`` (or time runs out)."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        messages.append(message)
        if message["type"] == "reload" and page in (message["pages"] or []):
            break
    return messages


def test_a_save_during_the_first_build_is_not_lost(tmp_path: Path) -> None:
    """The watcher starts after the first build; a page saved while it ran (here: after its
    notebooks were written, while Sphinx renders) is rebuilt as soon as the watcher starts."""
    root = copy_book(tmp_path)
    process = subprocess.Popen(
        [POLYBOOK, "serve", "--source", str(root), "--port", "0", "--no-exec", "--framework", "pytorch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        assert "building" in process.stdout.readline()
        deadline = time.monotonic() + 120
        while not list((root / "_build" / "notebooks").rglob("prose.ipynb")):
            assert time.monotonic() < deadline and process.poll() is None, "no notebooks"
            time.sleep(0.02)
        page = root / "chapter_b" / "prose.md"
        page.write_text(page.read_text().replace("Nothing to execute here", "Saved during the first build"))
        address = re.compile(r"(http://127\.0\.0\.1:\d+)/")
        url = next(m.group(1) for line in process.stdout if (m := address.search(line)))
        deadline = time.monotonic() + 120
        while True:
            with urllib.request.urlopen(f"{url}/en/chapter_b/prose.html", timeout=30) as response:
                if "Saved during the first build" in response.read().decode():
                    break
            assert time.monotonic() < deadline, "the save made during the first build was never rendered"
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=60)


def test_a_prose_edit_renders_its_page_and_executes_nothing(executing: Server) -> None:
    with connect(executing.url.replace("http", "ws") + "/_polybook/ws", open_timeout=30) as socket:
        build = executing.edit(
            "chapter_b/prose.md", "Nothing to execute here", "Nothing at all to execute here"
        )
        messages = reloads_of(socket, "en/chapter_b/prose.html")
    assert build["kind"] == "prose"
    assert build["pages"] == ["chapter_b/prose"]
    assert build["executed"] == []
    assert "chapter_b/prose" in build["rendered"]["en"]
    assert messages[-1]["type"] == "reload", messages
    assert "en/chapter_b/prose.html" in messages[-1]["pages"], messages
    assert "Nothing at all to execute here" in executing.get("en/chapter_b/prose.html")


def test_a_code_edit_executes_that_page_only(executing: Server) -> None:
    build = executing.edit("chapter_a/uses_double.md", "print(d2l.double(21))", "print(d2l.double(22))")
    assert build["kind"] == "code"
    assert build["executed"] == ["pytorch/chapter_a/uses_double"]
    assert ">44" in executing.get("en/chapter_a/uses_double.html").replace("\n", "")


def test_a_save_edit_executes_the_pages_that_use_it(executing: Server) -> None:
    build = executing.edit("chapter_a/saved.md", "return 3 * x", "return 3 * x + 1")
    assert build["kind"] == "code"
    assert sorted(build["executed"]) == ["pytorch/chapter_a/saved", "pytorch/chapter_a/uses_triple"]


def test_a_translation_edit_renders_only_its_language(executing: Server) -> None:
    build = executing.edit("translations/ko/chapter_b/prose.md", "# 산문만 있는 쪽", "# 산문만 담은 쪽")
    assert build["kind"] == "translation", executing.builds()[-4:]
    assert build["executed"] == []
    assert list(build["rendered"]) == ["ko"]
    assert "chapter_b/prose" in build["rendered"]["ko"]
    assert "산문만 담은 쪽" in executing.get("ko/chapter_b/prose.html")


BROKEN = "\n```{.python .input}\nbroken = 1\n"


def test_a_source_error_is_reported_and_cleared(executing: Server) -> None:
    text = (executing.root / "chapter_b/plain.md").read_text()
    build = executing.write("chapter_b/plain.md", text + BROKEN, timeout=120)
    assert build["kind"] == "error"
    errors = executing.status()["errors"]
    line = text.count("\n") + 2
    assert [e["where"] for e in errors] == [f"{executing.root / 'chapter_b/plain.md'}:{line}"], errors
    assert "[polybook.fence-unclosed]" in errors[0]["message"]
    executing.write("chapter_b/plain.md", text, timeout=120)
    assert executing.status()["errors"] == []


# -- in a browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def previewing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A preview of every framework, without execution."""
    server = Server(copy_book(tmp_path_factory.mktemp("serve-browser")), "--no-exec", "--lang", "en")
    yield server
    code, err = server.stop()
    assert code == 130 and "Traceback" not in err, err


def test_the_page_reloads_itself_and_keeps_the_framework(previewing: Server, page: Page) -> None:
    page.goto(f"{previewing.url}/en/chapter_a/uses_double.html")
    page.locator(".polybook-code-tabs [role=tab]", has_text="MXNet").first.click()
    page.evaluate("window.polybookMark = 'before'")
    previewing.edit("chapter_a/uses_double.md", "This page calls", "This page, edited, calls")
    page.wait_for_function("window.polybookMark === undefined", timeout=60_000)  # reloaded
    page.wait_for_selector("text=This page, edited, calls", timeout=30_000)
    checked = page.eval_on_selector_all(
        ".polybook-code-tabs [role=tab][aria-selected=true]", "tabs => tabs.map(t => t.textContent.trim())"
    )
    assert checked and set(checked) == {"MXNet"}


def test_a_broken_fence_shows_an_overlay_until_fixed(previewing: Server, page: Page) -> None:
    page.goto(f"{previewing.url}/en/chapter_b/plain.html")
    text = (previewing.root / "chapter_b/plain.md").read_text()
    previewing.write("chapter_b/plain.md", text + BROKEN, timeout=120)
    overlay = page.wait_for_selector("#polybook-serve-errors", timeout=30_000)
    assert overlay is not None
    assert "fence-unclosed" in overlay.inner_text()
    assert f"chapter_b/plain.md:{text.count(chr(10)) + 2}" in overlay.inner_text()
    previewing.write("chapter_b/plain.md", text, timeout=120)
    page.wait_for_selector("#polybook-serve-errors", state="detached", timeout=30_000)
