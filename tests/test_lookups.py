"""The look-ups polybook makes cheaper give what Sphinx's own give: figure numbers computed on
page skeletons equal Sphinx's computed on the pages, after a first build and after an edit;
a :numref: resolved through the doctrees kept reads the same as Sphinx's."""

from __future__ import annotations

import copy
import io
import textwrap
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment.collectors.toctree import TocTreeCollector

from polybook.render import lookups

PAGES = {
    "index.rst": """
        Book
        ====

        .. toctree::
           :numbered:

           one
           two
        """,
    "one.rst": """
        One
        ===

        .. _fig-first:

        .. figure:: a.png

           The first figure.

        .. figure:: b.png

        A figure without a caption is not numbered.

        Part
        ----

        .. table:: A table.
           :name: tab-first

           ===  ===
           a    b
           ===  ===

        .. note::

           .. code-block:: python
              :caption: Code inside a note.
              :name: code-note

              x = 1

        .. code-block:: python

           y = 2

        See :numref:`fig-first`, :numref:`tab-first`, :numref:`fig-two` and :numref:`code-note`.
        """,
    "two.rst": """
        Two
        ===

        .. _fig-two:

        .. figure:: c.png

           A figure of the second chapter.

        Deeper
        ------

        Deepest
        ~~~~~~~

        .. figure:: d.png
           :name: fig-deep

           Deep down.

        .. math::
           :label: eq-deep

           e = mc^2

        As :eq:`eq-deep` says.
        """,
}


def build(root: Path, *, fresh: bool = False, **settings: Any) -> Sphinx:
    """A build of the book in ``root`` with this extension (and ``settings``); incremental
    unless ``fresh``."""
    overrides = {"extensions": ["polybook.render.lookups"], "numfig": True, "project": "Book", **settings}
    app = Sphinx(
        str(root),
        None,
        str(root / "_build" / "html"),
        str(root / "_build" / "doctrees"),
        "html",
        confoverrides=overrides,
        status=None,
        warning=io.StringIO(),
        freshenv=True,
    )
    app.build()
    return app


def sphinx_own_numbers(app: Sphinx) -> dict[str, dict[str, dict[str, tuple[int, ...]]]]:
    """Sphinx's numbering walking the real doctrees (its method, not ours)."""
    ours = copy.deepcopy(app.env.toc_fignumbers)
    lookups._assign_figure_numbers(TocTreeCollector(), app.env)
    theirs = app.env.toc_fignumbers
    app.env.toc_fignumbers = ours
    return theirs


def test_figure_numbers_on_skeletons_are_sphinx_own(tmp_path: Path) -> None:
    for name, text in PAGES.items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    app = build(tmp_path)
    assert set(lookups._skeletons(app.env)) == {"index", "one", "two"}
    numbers = app.env.toc_fignumbers
    assert numbers == sphinx_own_numbers(app)
    assert {kind: list(found.values()) for kind, found in numbers["one"].items()} == {
        "figure": [(1, 1)],  # the figure without a caption has no number
        "table": [(1, 1)],
        "code-block": [(1, 1)],
    }
    assert sorted(numbers["two"]["figure"].values()) == [(2, 1), (2, 2)]
    assert list(numbers["two"]["displaymath"].values()) == [(2, 1)]
    page = (tmp_path / "_build" / "html" / "one.html").read_text(encoding="utf-8")
    for number in ("Fig. 1.1", "Table 1.1", "Fig. 2.1", "Listing 1.1"):
        assert number in page

    # an edit: a figure before the first one moves every number of the chapter
    one = tmp_path / "one.rst"
    one.write_text(
        one.read_text().replace(".. _fig-first:", ".. figure:: z.png\n\n   A new figure.\n\n.. _fig-first:"),
        encoding="utf-8",
    )
    app = build(tmp_path)
    assert app.env.toc_fignumbers == sphinx_own_numbers(app)
    assert sorted(app.env.toc_fignumbers["one"]["figure"].values()) == [(1, 1), (1, 2)]
    page = (tmp_path / "_build" / "html" / "one.html").read_text(encoding="utf-8")
    assert "Fig. 1.2" in page


BIB = """@article{Galton.1886,
  author  = {Galton, Francis},
  title   = {Regression Towards Mediocrity in Hereditary Stature},
  journal = {The Journal of the Anthropological Institute},
  volume  = {15},
  year    = {1886}
}
@book{Fisher.1925,
  author    = {Fisher, Ronald A.},
  title     = {Statistical Methods for Research Workers},
  publisher = {Oliver and Boyd},
  year      = {1925}
}
"""


def test_bibliography_entries_are_formatted_once_then_read_from_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "index.rst").write_text(
        "Book\n====\n\nHeights :cite:p:`Galton.1886`, tests :cite:p:`Fisher.1925`.\n\n.. bibliography::\n",
        encoding="utf-8",
    )
    (tmp_path / "references.bib").write_text(BIB, encoding="utf-8")

    def build_page() -> str:
        extensions = ["sphinxcontrib.bibtex", "polybook.render.lookups"]
        build(tmp_path, fresh=True, extensions=extensions, bibtex_bibfiles=["references.bib"])
        return (tmp_path / "_build" / "html" / "index.html").read_text(encoding="utf-8")

    lookups._formatted.clear()
    lookups._formatted_loaded.clear()
    before = lookups.formatted_anew
    first = build_page()
    assert lookups.formatted_anew - before == 2  # each entry once, though twice asked (its tooltip)
    assert (tmp_path / "_build" / "doctrees" / lookups.FORMATTED).is_file()
    # a new process (as each `polybook build` is): nothing remembered but the file
    lookups._formatted.clear()
    lookups._formatted_loaded.clear()
    before = lookups.formatted_anew
    second = build_page()
    assert lookups.formatted_anew == before
    assert second == first
    assert "Statistical Methods for Research Workers" in second
    # an entry that changes is formatted again
    (tmp_path / "references.bib").write_text(
        BIB.replace("year      = {1925}", "year      = {1926}"), encoding="utf-8"
    )
    lookups._formatted.clear()
    lookups._formatted_loaded.clear()
    before = lookups.formatted_anew
    assert "1926" in build_page()
    assert lookups.formatted_anew - before == 1
