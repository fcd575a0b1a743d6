"""What Sphinx made of a page's references and numbers, kept for the readers' notebooks.

A downloaded notebook must read "Section 2.1", "(2.1.3)" and "[Galton, 1886]" where the site
does, with the same numbers. Only Sphinx knows them, once it has numbered the book and
resolved every reference; so while it writes each page (``doctree-resolved``) we record:

- ``refs``: each reference role of the page (``numref:x``, ``eq:x``, ``p:a,b`` …) and the text
  Sphinx gave it;
- ``numbers``: each numbered figure, table and equation label with its caption prefix
  ("Fig. 2.1.1") or number ("2.1.3");
- ``sections``: each section title with its number, and the page's own number.

The record of a page is ``<polybook_refs_dir>/<docname>.json`` (``notebook_refs`` reads it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..fsutil import write_json

_ROLE = {"numref": "numref", "ref": "ref", "eq": "eq", "p": "p", "t": "t"}
"""A pending reference's type, and the MyST role name it is recorded under."""


class polybook_ref(nodes.inline):
    """Wraps a reference while Sphinx resolves it, so its final text can be read back."""


class MarkReferences(SphinxPostTransform):
    """Before Sphinx resolves references, each one is wrapped in a :class:`polybook_ref`."""

    default_priority = 4  # before ChapterNumbers (5) and Sphinx's resolver (10)
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        if not self.config.polybook_refs_dir:
            return
        for xref in list(self.document.findall(addnodes.pending_xref)):
            kind = _ROLE.get(xref.get("reftype", ""))
            if kind is None or isinstance(xref.parent, polybook_ref):
                continue
            wrapper = polybook_ref("", key=f"{kind}:{xref.get('reftarget', '')}")
            xref.replace_self(wrapper)
            wrapper += xref


def visit_ref(self: Any, node: nodes.Element) -> None:
    pass


def depart_ref(self: Any, node: nodes.Element) -> None:
    pass


def _number(env: Any, docname: str, kind: str, node_id: str) -> str:
    found = env.toc_fignumbers.get(docname, {}).get(kind, {}).get(node_id)
    return ".".join(map(str, found)) if found else ""


def record(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Write the page's record (see the module's documentation)."""
    folder = app.config.polybook_refs_dir
    if not folder or app.builder.format != "html":
        return
    env = app.env
    refs: dict[str, str] = {}
    for wrapper in doctree.findall(polybook_ref):
        refs.setdefault(wrapper["key"], wrapper.astext())
    numbers: dict[str, str] = {}
    formats = app.config.numfig_format
    for kind, node_type in (("figure", nodes.figure), ("table", nodes.table)):
        for node in doctree.findall(node_type):
            if not isinstance(node, nodes.Element):
                continue
            number = _number(env, docname, kind, node["ids"][0]) if node["ids"] else ""
            if number:
                for name in node["names"]:
                    numbers[name] = formats[kind] % number
    for math in doctree.findall(nodes.math_block):
        if math.get("label") and math["ids"]:
            number = _number(env, docname, "displaymath", math["ids"][0]) or str(math.get("number", ""))
            if number:
                numbers[math["label"]] = number
    secnumbers = env.toc_secnumbers.get(docname, {})
    sections: list[tuple[str, str]] = []
    for section in doctree.findall(nodes.section):
        if not section["ids"] or not isinstance(section[0], nodes.title):
            continue
        found = secnumbers.get("#" + section["ids"][0]) or (secnumbers.get("") if not sections else None)
        sections.append((section[0].astext(), ".".join(map(str, found)) if found else ""))
    page = secnumbers.get("")
    write_json(
        Path(folder) / f"{docname}.json",
        {
            "refs": refs,
            "numbers": numbers,
            "sections": sections,
            "page": ".".join(map(str, page)) if page else "",
        },
    )


def setup_refs(app: Sphinx) -> None:
    """Register the nodes, transform and event of this module."""
    app.add_node(polybook_ref, html=(visit_ref, depart_ref), latex=(visit_ref, depart_ref))
    app.add_post_transform(MarkReferences)
    app.connect("doctree-resolved", record)
