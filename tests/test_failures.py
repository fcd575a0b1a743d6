"""A failing cell, shown where it happened: on its page, in the terminal, in its chapter.

The book (tests/fixtures/failsite) has a page whose second cell calls a saved function that
raises; it runs in the real kernels of two frameworks and is rendered by Sphinx.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import build_html

FIXTURES = Path(__file__).parent / "fixtures"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def text_of(page: Path) -> str:
    """The visible text of a built page's article, one line per block."""
    body = page.read_text(encoding="utf-8")
    body = body[body.find("<article") :]
    return html.unescape(re.sub(r"\n\s*\n+", "\n", re.sub(r"<[^>]+>", "", body)))


def test_a_failing_page_is_published_with_what_ran_and_located_in_its_chapters(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "failsite", root)
    done = subprocess.run(
        [POLYBOOK, "build", "html", "--source", str(root), "-j", "2"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=root,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "3 pages, 3 changed, 0 Sphinx warning(s)" in done.stdout  # the site is built all the same
    err = done.stderr
    # the calling cell, and the #@save line inside d2l.mean that raised, both as path:line
    assert "fails.md:15: pytorch: ZeroDivisionError: division by zero [polybook.eval-failed]" in err
    assert "fails.md:21: tensorflow: ZeroDivisionError: division by zero [polybook.eval-failed]" in err
    for fw, called in (("pytorch", 15), ("tensorflow", 21)):
        assert (
            f"saved.md:11: {fw}: raised here, in the d2l library, called from fails.md:{called} "
            "[polybook.eval-failed]"
        ) in err
        assert "the notebook as it ran: _build/reports/failed/" + fw + "/fails.ipynb" in err
    assert "    ---> 13 return total / len(xs)" in err  # the traceback's last frames
    assert (root / "saved.md").read_text().split("\n")[10].strip() == "return total / len(xs)"
    report = {
        (r["framework"], r["page"]): r
        for r in json.loads((root / "_build/reports/eval.json").read_text())["notebooks"]
    }
    assert report[("pytorch", "fails")]["raised_at"] == "saved.md:11"
    assert report[("pytorch", "fails")]["location"] == "fails.md:15"

    page = text_of(root / "_build" / "html" / "en" / "fails.html")
    banner = (
        "This page failed to run in PyTorch: ZeroDivisionError: division by zero "
        "(fails.md:15; raised in d2l.mean, saved at saved.md:11)."
    )
    assert banner in page
    assert page.index(banner) < page.index("The first cell runs.")  # at the top
    assert page.count("\nbefore the failure\n") == 2  # the cell before ran, in both frameworks
    failing = page[page.index("The second one calls") : page.index("The third one never runs.")]
    assert failing.count("ZeroDivisionError: division by zero") == 2  # its traceback under it
    assert "---> 13 return total / len(xs)" in failing
    rest = page[page.index("The third one never runs.") :]
    assert rest.count("print('never printed')") == 2 and "\nnever printed\n" not in rest
    assert "failed to run" not in text_of(root / "_build" / "html" / "en" / "saved.html")

    # a failure is never cached: the next build runs the page again, and fixing it clears the banner
    fixed = (root / "fails.md").read_text().replace("d2l.mean([])", "d2l.mean([4])")
    (root / "fails.md").write_text(fixed)
    page = text_of(build_html(root) / "en" / "fails.html")  # exit 0, no Sphinx warning
    assert "failed to run" not in page
    assert page.count("\n4.0\n") == 2 and page.count("\nnever printed\n") == 2
