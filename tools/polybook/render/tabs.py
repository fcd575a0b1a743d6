"""Framework tab sets: one per run of framework-specific blocks, written as ARIA tabs.

Two steps of the Sphinx extension:

- :class:`FrameworkRuns` (while reading): consecutive framework tab sets (a page's prose tabs
  and the code positions between them) become one tab set, so a reader sees one row of
  framework names per run, as on d2l.ai, not one above every block.
- :class:`FrameworkTabsHtml` (HTML only, before sphinx-design's own transform): a framework tab
  set becomes :class:`framework_tabs`, written as a WAI-ARIA tab list (``role="tablist"``,
  ``"tab"``, ``"tabpanel"``) that ``static/polybook.js`` drives: arrow keys, one choice for the
  whole page, remembered across pages, ``?framework=`` in any case. sphinx-design's own markup
  is a row of visually hidden radio buttons: no tab roles, and a Tab stop on an invisible
  control. Other tab sets (a book's own ``{tab-set}``) are left to sphinx-design.
"""

from __future__ import annotations

from html import escape
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx_design.shared import create_component, is_component

GROUP = "framework"
NOTHING = "polybook-nothing"
"""Class of a placeholder for a framework that a block says nothing specific to."""


def missing_note(text: str) -> nodes.paragraph:
    """A quiet note standing in a framework's tab (not indexed by the search)."""
    return nodes.paragraph("", "", nodes.emphasis("", text), classes=["polybook-missing", "no-search"])


def tab_item(label: str, sync_id: str, content: list[nodes.Node]) -> nodes.container:
    """A sphinx-design tab item synchronised by framework."""
    rubric = nodes.rubric(label, label, classes=["sd-tab-label"])
    rubric["sync_id"] = sync_id
    rubric["sync_group"] = GROUP
    body = create_component("tab-content", classes=["sd-tab-content"], children=content)
    return create_component("tab-item", classes=["sd-tab-item"], children=[rubric, body])


def _items(tab_set: nodes.Element) -> list[tuple[str, str, list[nodes.Node]]]:
    """A framework tab set's (framework, label, content nodes)."""
    found = []
    for item in tab_set.children:
        if not is_component(item, "tab-item") or len(item.children) != 2:
            continue
        label, content = item.children
        if isinstance(label, nodes.Element) and isinstance(content, nodes.Element):
            found.append((label.get("sync_id", ""), label.astext(), list(content.children)))
    return found


def is_framework_tabs(node: nodes.Node) -> bool:
    if not is_component(node, "tab-set"):
        return False
    labels = [item.children[0] for item in node.children if is_component(item, "tab-item") and item.children]
    return bool(labels) and all(
        isinstance(label, nodes.Element) and label.get("sync_group") == GROUP for label in labels
    )


def merge(run: list[nodes.Element], order: list[str], nothing: dict[str, str]) -> nodes.container:
    """One tab set with, per framework, the content of every set of ``run`` in turn.

    :param order: the book's frameworks, in tab order.
    :param nothing: per framework, the note for a tab that would otherwise be empty.
    """
    labels: dict[str, str] = {}
    contents: dict[str, list[nodes.Node]] = {}
    for tab_set in run:
        for fw, label, content in _items(tab_set):
            labels.setdefault(fw, label)
            kept = [c for c in content if not (isinstance(c, nodes.Element) and NOTHING in c["classes"])]
            contents.setdefault(fw, []).extend(kept)
    frameworks = [fw for fw in order if fw in labels] + [fw for fw in labels if fw not in order]
    items = []
    for fw in frameworks:
        content = contents[fw] or [missing_note(nothing.get(fw, ""))]
        items.append(tab_item(labels[fw], fw, content))
    classes = sorted({c for tab_set in run for c in tab_set["classes"]} | {"polybook-run"})
    return create_component("tab-set", classes=classes, children=items)


class FrameworkRuns(SphinxTransform):
    """Consecutive framework tab sets (prose tabs, code positions) become one tab set."""

    default_priority = 402  # after the code cells became tab sets (CodeTabs, 400)

    def apply(self, **kwargs: Any) -> None:
        order = [name for name, _ in self.app.config.polybook_frameworks]
        displays = dict(self.app.config.polybook_frameworks)
        from .sphinx_ext import _words

        note = _words(self.app)["prose"]
        nothing = {fw: note.format(fw=displays.get(fw, fw)) for fw in order}
        for parent in list(self.document.findall(nodes.Element)):
            children = list(parent.children)
            if sum(is_framework_tabs(c) for c in children) == 0:
                continue
            rebuilt: list[nodes.Node] = []
            run: list[nodes.Element] = []
            for child in [*children, None]:
                if child is not None and is_framework_tabs(child):
                    run.append(child)  # type: ignore[arg-type]
                    continue
                if run:
                    rebuilt.append(merge(run, order, nothing))
                    run = []
                if child is not None:
                    rebuilt.append(child)
            parent.children = []
            parent.extend(rebuilt)


class framework_tabs(nodes.General, nodes.Element):
    """A framework tab set as ARIA tabs: ``frameworks`` holds (name, label) per panel."""


class framework_panel(nodes.General, nodes.Element):
    """One framework's panel of a :class:`framework_tabs`."""


def visit_tabs_html(self: Any, node: framework_tabs) -> None:
    ident, aria = node["tabs_id"], escape(node["aria_label"], quote=True)
    # sphinx-design's classes would bring its radio-button layout
    classes = " ".join(["polybook-tabs", *(c for c in node["classes"] if not c.startswith("sd-"))])
    buttons = []
    for index, (fw, label) in enumerate(node["frameworks"]):
        selected = "true" if index == 0 else "false"
        buttons.append(
            f'<button type="button" role="tab" id="{ident}-tab-{fw}" aria-controls="{ident}-{fw}" '
            f'aria-selected="{selected}" tabindex="{0 if index == 0 else -1}" '
            f'data-sync-id="{escape(fw, quote=True)}">{escape(label)}</button>'
        )
    anchor = f' id="{node["ids"][0]}"' if node["ids"] else ""
    self.body.append(
        f'<div class="{classes}"{anchor} data-sync-group="{GROUP}">\n'
        f'<div class="polybook-tablist" role="tablist" aria-label="{aria}">{"".join(buttons)}</div>\n'
    )


def depart_tabs_html(self: Any, node: framework_tabs) -> None:
    self.body.append("</div>\n")


def visit_panel_html(self: Any, node: framework_panel) -> None:
    ident, fw = node["tabs_id"], node["framework"]
    hidden = "" if node["first"] else " hidden"
    self.body.append(
        f'<div class="polybook-panel" role="tabpanel" id="{ident}-{fw}" aria-labelledby="{ident}-tab-{fw}" '
        f'data-sync-id="{escape(fw, quote=True)}" tabindex="0"{hidden}>\n'
    )


def depart_panel_html(self: Any, node: framework_panel) -> None:
    self.body.append("</div>\n")


def visit_skip(self: Any, node: nodes.Element) -> None:
    pass


def depart_skip(self: Any, node: nodes.Element) -> None:
    pass


class FrameworkTabsHtml(SphinxPostTransform):
    """Framework tab sets into :class:`framework_tabs` (before sphinx-design's transform, 200)."""

    default_priority = 199
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        from .sphinx_ext import _words

        aria = _words(self.app)["frameworks"]
        found = [n for n in self.document.findall(is_framework_tabs) if isinstance(n, nodes.Element)]
        for number, tab_set in enumerate(found):
            ident = f"pbt{number}"
            items = _items(tab_set)
            panels = [
                framework_panel("", *content, tabs_id=ident, framework=fw, first=index == 0)
                for index, (fw, _, content) in enumerate(items)
            ]
            tabs = framework_tabs(
                "",
                *panels,
                tabs_id=ident,
                aria_label=aria,
                frameworks=[(fw, label) for fw, label, _ in items],
                classes=[c for c in tab_set["classes"] if c not in ("sd-tab-set", "docutils")],
            )
            tabs["ids"] = list(tab_set.get("ids", []))
            tab_set.replace_self(tabs)


def setup_tabs(app: Any) -> None:
    """Register the nodes and transforms of this module."""
    # HTML only: on paper a framework's blocks are the page itself (one framework per PDF)
    for node, html in (
        (framework_tabs, (visit_tabs_html, depart_tabs_html)),
        (framework_panel, (visit_panel_html, depart_panel_html)),
    ):
        app.add_node(node, html=html, latex=(visit_skip, depart_skip), text=(visit_skip, depart_skip))
    app.add_transform(FrameworkRuns)
    app.add_post_transform(FrameworkTabsHtml)
