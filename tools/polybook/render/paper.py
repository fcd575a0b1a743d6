"""The PDF as readers get it: the references in their chapter, the introduction before the
contents, untranslated passages marked, code that copies as typed.

Transforms of the LaTeX build only, and the LaTeX they need (:data:`PREAMBLE`).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

PREAMBLE = r"""
% A citation in a caption (d2l-en has them) is written to the list of figures as well: the
% link and docutils' role around it must survive being moved there
\usepackage{etoolbox}
\robustify\hyperlink
\robustify\DUrole
\makeatletter
% The references are a chapter of the book (the page that holds the bibliography), not a
% second chapter "Bibliography" after it: the list starts where that page puts it.
\renewenvironment{sphinxthebibliography}[1]{%
  \begingroup\let\chapter\@gobbletwo\begin{thebibliography}{#1}}%
  {\end{thebibliography}\endgroup}
\makeatother
% An untranslated or stale passage: a short rule in the margin of its first line, as on the site
% (a frame around it would forbid the figures and tables a passage may hold)
\makeatletter
\newcommand\polybookbar{\llap{{\color[gray]{0.55}\rule[-0.5ex]{1.5pt}{2.6ex}}\hspace{0.7em}}}
\newenvironment{polybookmarked}%
  {\par\gdef\polybook@mark{\polybookbar\global\let\polybook@mark\relax}%
   \everypar\expandafter{\the\everypar\polybook@mark}}%
  {\par\global\let\polybook@mark\relax}
\makeatother
"""
"""LaTeX of the preamble for the transforms of this module."""


class bibliography_here(nodes.General, nodes.Element):
    """Where the book's bibliography stood, until Sphinx's LaTeX builder gathered it at the end."""


class MarkBibliography(SphinxPostTransform):
    """Before Sphinx moves every citation to the end of the book, mark where the first stood."""

    default_priority = 749  # Sphinx's BibliographyTransform is 750
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        first = next(iter(self.document.findall(nodes.citation)), None)
        if first is not None and isinstance(first.parent, nodes.Element):
            first.parent.insert(first.parent.index(first), bibliography_here())


class PlaceBibliography(SphinxPostTransform):
    """The gathered bibliography goes back where the references page put it."""

    default_priority = 751
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        marks = list(self.document.findall(bibliography_here))
        gathered = [n for n in self.document.children if getattr(n, "tagname", "") == "thebibliography"]
        for mark in marks[1:]:
            mark.parent.remove(mark)
        if not marks:
            return
        if gathered:
            self.document.remove(gathered[0])
            marks[0].replace_self(gathered[0])
        else:
            marks[0].parent.remove(marks[0])


class PaperFrontMatter(SphinxTransform):
    """The root page's introduction goes before the table of contents, on a page of its own,
    not after it under the running head "CONTENTS".

    Sphinx's LaTeX template puts the contents before the body, and the root page's text is the
    start of the body; here the root page says where the contents go (before its first table of
    contents), and the template's own is left empty (see ``pdf.latex_settings``).
    """

    default_priority = 414

    def apply(self, **kwargs: Any) -> None:
        if self.app.builder.format != "latex" or self.env.docname != self.config.root_doc:
            return
        toctree = next(iter(self.document.findall(addnodes.toctree)), None)
        contents = nodes.raw("", "\\sphinxtableofcontents\n\\pagestyle{normal}\n", format="latex")
        if toctree is None:
            self.document.insert(0, contents)
            return
        wrapper = toctree.parent if isinstance(toctree.parent, nodes.compound) else toctree
        parent = wrapper.parent
        parent.insert(parent.index(wrapper), contents)
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is not None:
            intro = nodes.raw("", "\\pagestyle{plain}\n", format="latex")
            title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
            section.insert(title_index + 1, intro)


def _skip(self: Any, node: nodes.Element) -> None:
    raise nodes.SkipNode


def setup_paper(app: Sphinx) -> None:
    """Register the nodes and transforms of this module."""
    app.add_node(bibliography_here, latex=(_skip, None), html=(_skip, None), text=(_skip, None))
    app.add_post_transform(MarkBibliography)
    app.add_post_transform(PlaceBibliography)
    app.add_transform(PaperFrontMatter)
