"""The Sphinx extension: framework tab sets around code cells, download bars, collapsed stderr.

A thin adapter: page assembly (:mod:`polybook.assemble`) already put each framework's code cell
side by side with metadata; here those cells, as MyST-NB made them into doctree containers,
are grouped into sphinx-design tab sets synchronised by framework (``sync-group: framework``,
so sphinx-design's own script remembers the reader's choice and reads ``?framework=``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset
from sphinx_design.shared import create_component

from . import __version__

LOGGER = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class details(nodes.General, nodes.Element):
    """A collapsed block (HTML ``<details>``). docutils has no such node; one visitor pair is all
    it takes, so we keep our own rather than pull in a dependency for it."""


def visit_details_html(self: Any, node: details) -> None:
    self.body.append(f'<details class="{" ".join(node["classes"])}"><summary>{node["summary"]}</summary>')


def depart_details_html(self: Any, node: details) -> None:
    self.body.append("</details>")


def visit_details_other(self: Any, node: details) -> None:
    pass


def depart_details_other(self: Any, node: details) -> None:
    pass


def _framework_names(app: Sphinx) -> dict[str, str]:
    return dict(app.config.polybook_frameworks)


def _tab_item(label: str, sync_id: str, content: list[nodes.Node], selected: bool = False) -> nodes.container:
    rubric = nodes.rubric(label, label, classes=["sd-tab-label"])
    rubric["sync_id"] = sync_id
    rubric["sync_group"] = "framework"
    body = create_component("tab-content", classes=["sd-tab-content"], children=content)
    return create_component("tab-item", classes=["sd-tab-item"], selected=selected, children=[rubric, body])


#: The few words polybook adds to pages, per language.
WORDS = {
    "en": {
        "example": "This example has no {fw} version.",
        "page": "This page has no {fw} version.",
        "download": "Download the {fw} notebook",
        "colab": "Open in Colab",
        "chapter": "Chapter %s",
        "section": "Section %s",
        "status": "translation status",
    },
    "ko": {
        "example": "이 예제에는 {fw} 버전이 없습니다.",
        "page": "이 쪽에는 {fw} 버전이 없습니다.",
        "download": "{fw} 노트북 내려받기",
        "colab": "Colab에서 열기",
        "chapter": "%s장",
        "section": "%s절",
        "status": "번역 현황",
    },
    "zh": {
        "example": "此示例没有 {fw} 版本。",
        "page": "本页没有 {fw} 版本。",
        "download": "下载 {fw} 笔记本",
        "colab": "在 Colab 中打开",
        "chapter": "第 %s 章",
        "section": "%s 节",
        "status": "翻译进度",
    },
    "ja": {
        "example": "この例には {fw} 版がありません。",
        "page": "このページには {fw} 版がありません。",
        "download": "{fw} のノートブックをダウンロード",
        "colab": "Colab で開く",
        "chapter": "第 %s 章",
        "section": "%s 節",
        "status": "翻訳状況",
    },
}


def _words(app: Sphinx) -> dict[str, str]:
    return WORDS.get((app.config.language or "en").split("_")[0], WORDS["en"])


def _missing(text: str) -> nodes.paragraph:
    return nodes.paragraph("", "", nodes.emphasis("", text), classes=["polybook-missing"])


class CodeTabs(SphinxTransform):
    """Group the code cells of one position into a tab set, one tab per framework."""

    default_priority = 400

    def apply(self, **kwargs: Any) -> None:
        names = _framework_names(self.app)
        for parent in list(self.document.findall(nodes.Element)):
            children = list(parent.children)
            if not any(_position(c) is not None for c in children):
                continue
            rebuilt: list[nodes.Node] = []
            index = 0
            while index < len(children):
                position = _position(children[index])
                if position is None:
                    rebuilt.append(children[index])
                    index += 1
                    continue
                group: list[nodes.Element] = []
                while index < len(children) and _position(children[index]) == position:
                    group.append(children[index])  # type: ignore[arg-type]
                    index += 1
                rebuilt.append(self.tab_set(group, names))
            parent.children = []
            parent.extend(rebuilt)
        self.collapse_stderr()

    def tab_set(self, cells: list[nodes.Element], names: dict[str, str]) -> nodes.container:
        meta = cells[0]["cell_metadata"]["polybook"]
        by_framework = {c["cell_metadata"]["polybook"]["framework"]: c for c in cells}
        items = []
        for fw in meta.get("frameworks") or list(names):
            display = names.get(fw, fw)
            content: list[nodes.Node] = [
                by_framework[fw]
                if fw in by_framework
                else _missing(_words(self.app)["example"].format(fw=display))
            ]
            items.append(_tab_item(display, fw, content))
        return create_component("tab-set", classes=["sd-tab-set", "polybook-code-tabs"], children=items)

    def collapse_stderr(self) -> None:
        for block in list(self.document.findall(nodes.literal_block)):
            if "stderr" in block.get("classes", []) and not isinstance(block.parent, details):
                folded = details(summary="stderr", classes=["polybook-stderr"])
                block.replace_self(folded)
                folded += block


def _position(node: nodes.Node) -> int | None:
    if not isinstance(node, nodes.container) or node.get("nb_element") != "cell_code":
        return None
    metadata: dict[str, Any] = node.get("cell_metadata") or {}
    meta = metadata.get("polybook")
    return meta.get("position") if isinstance(meta, dict) else None


class DownloadBar(SphinxTransform):
    """Below a page's title, per framework: its notebook to download and an Open-in-Colab link."""

    default_priority = 410

    def apply(self, **kwargs: Any) -> None:
        if self.app.builder.format != "html":
            return
        docname = self.env.docname
        source = Path(self.env.doc2path(docname))
        if source.suffix != ".ipynb" or not self.app.config.polybook_frameworks:
            return
        meta = json.loads(source.read_text(encoding="utf-8")).get("metadata", {}).get("polybook", {})
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None or not meta.get("downloads"):
            return  # a page without code offers no notebook: never an empty one
        up = "../" * docname.count("/")
        items = []
        for fw, display in self.app.config.polybook_frameworks:
            if fw not in meta["downloads"]:
                items.append(_tab_item(display, fw, [_missing(_words(self.app)["page"].format(fw=display))]))
                continue
            links: list[nodes.Node] = [
                nodes.reference(
                    "",
                    _words(self.app)["download"].format(fw=display),
                    refuri=f"{up}_notebooks/{fw}/{docname}.ipynb",
                ),
            ]
            colab = self.app.config.polybook_colab_url
            if colab:
                links += [
                    nodes.Text(" · "),
                    nodes.reference(
                        "", _words(self.app)["colab"], refuri=colab.format(framework=fw, page=docname)
                    ),
                ]
            items.append(
                _tab_item(display, fw, [nodes.paragraph("", "", *links, classes=["polybook-downloads"])])
            )
        bar = create_component("tab-set", classes=["sd-tab-set", "polybook-download-bar"], children=items)
        title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
        section.insert(title_index + 1, bar)


LANGUAGE_NAMES = {
    "en": "English",
    "ko": "한국어",
    "zh": "中文",
    "ja": "日本語",
    "de": "Deutsch",
    "fr": "Français",
}


class LanguageSwitcher(SphinxTransform):
    """Above a page's title: the same page in each of the book's languages."""

    default_priority = 411  # after the download bar: both go right under the title, this one first

    def apply(self, **kwargs: Any) -> None:
        languages = self.app.config.polybook_languages
        if self.app.builder.format != "html" or self.env.docname == "translation-status":
            return  # the status page exists in the source language only
        section = next(iter(self.document.findall(nodes.section)), None)
        if len(languages) < 2 or section is None:
            return
        docname = self.env.docname
        up = "../" * (docname.count("/") + 1)
        current = self.app.config.language.split("_")[0]
        items: list[nodes.Node] = []
        for lang in languages:
            name = LANGUAGE_NAMES.get(lang, lang)
            if items:
                items.append(nodes.Text(" · "))
            if lang == current:
                items.append(nodes.strong("", name))
            else:
                target = f"{up}{lang}/{docname}.html"
                items.append(nodes.reference("", name, refuri=target, classes=[f"polybook-lang-{lang}"]))
        status = f"{up}{languages[0]}/translation-status.html"  # built with the source language
        items += [nodes.Text(" · "), nodes.reference("", _words(self.app)["status"], refuri=status)]
        # after the title: Sphinx takes a section's first child for its title
        title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
        section.insert(title_index + 1, nodes.paragraph("", "", *items, classes=["polybook-languages"]))


def _notice_css(app: Sphinx) -> None:
    """The untranslated and stale notices, in every language the book has."""
    from .translate import NOTICES

    rules = []
    for lang, (untranslated, stale) in NOTICES.items():
        for css, text in (("polybook-untranslated", untranslated), ("polybook-stale", stale)):
            rules.append(f':lang({lang}) .{css}::before {{ content: "{text}"; }}')
    folder = Path(app.outdir) / "_static"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "polybook-notices.css").write_text("\n".join(rules) + "\n", encoding="utf-8")


class PaperImages(SphinxTransform):
    """On paper, an image that is remote or missing becomes a framed placeholder, not a crash."""

    default_priority = 412

    def apply(self, **kwargs: Any) -> None:
        if self.app.builder.format != "latex":
            return
        srcdir = Path(self.app.srcdir)
        docdir = (srcdir / self.env.docname).parent
        for image in list(self.document.findall(nodes.image)):
            uri = image.get("uri", "")
            remote = "://" in uri
            # "/x" is relative to the source folder (MyST-NB's outputs: /../../latex/jupyter_execute/…)
            local = srcdir / uri.lstrip("/") if uri.startswith("/") else docdir / uri
            if not remote and (local.exists() or (srcdir / uri).exists()):
                continue
            why = "a remote image, not embedded in the PDF" if remote else "an image that does not exist"
            LOGGER.warning(
                f"{uri}: {why}; a placeholder stands in its place",  # Sphinx adds the type
                location=image,
                type="polybook",
                subtype="image-placeholder",
            )
            box = nodes.literal_block(uri, f"[ image: {uri} ]", classes=["polybook-image-placeholder"])
            image.replace_self(box)


class PaperNumbering(SphinxTransform):
    """On paper, the chapters of an unnumbered table of contents (the preface, the references)
    are unnumbered too, as on the site.

    Sphinx's LaTeX numbers every chapter. Before each of the root page's tables of contents goes
    LaTeX's ``secnumdepth``: -1 for an unnumbered one (its chapters are listed in the contents
    without a number and do not count), the class's 2 for a numbered one.
    """

    default_priority = 413

    def apply(self, **kwargs: Any) -> None:
        if self.app.builder.format != "latex" or self.env.docname != self.config.root_doc:
            return
        for toctree in list(self.document.findall(addnodes.toctree)):
            depth = 2 if toctree.get("numbered") else -1
            wrapper = toctree.parent if isinstance(toctree.parent, nodes.compound) else toctree
            raw = nodes.raw("", f"\\setcounter{{secnumdepth}}{{{depth}}}\n", format="latex")
            wrapper.parent.insert(wrapper.parent.index(wrapper), raw)


class ChapterNumbers(SphinxPostTransform):
    """A :numref: to a chapter reads "Chapter 2", not "Section 2".

    Sphinx has one numbering format for all sections. The book's chapters are the pages the root
    page's table of contents lists; a numref to the title of one of them gets the chapter format
    as its explicit title, before Sphinx resolves it, so HTML ("Chapter 2") and LaTeX ("Chapter
    \\ref{…}") both say so.
    """

    default_priority = 5  # before sphinx's ReferencesResolver (10)

    def run(self, **kwargs: Any) -> None:
        chapter = _words(self.app).get("chapter")
        chapters = set(self.env.toctree_includes.get(self.config.root_doc, []))
        labels = self.env.domains.standard_domain.labels
        title_ids: dict[str, list[str]] = {}  # a chapter's doctree is read once per page
        for xref in list(self.document.findall(addnodes.pending_xref)):
            if xref.get("reftype") != "numref" or xref.get("refexplicit") or not chapter:
                continue
            docname, labelid, _ = labels.get(xref["reftarget"], ("", "", ""))
            if docname not in chapters or not self.env.toc_secnumbers.get(docname):
                continue  # not a chapter, or an unnumbered one (Sphinx says so)
            if docname not in title_ids:
                title_ids[docname] = _title_ids(self.env, docname)
            if labelid not in title_ids[docname]:
                continue
            xref["refexplicit"] = True
            text = nodes.inline("", chapter, classes=["xref", "std", "std-numref"])
            xref.children = [text]


def _title_ids(env: Any, docname: str) -> list[str]:
    """The ids of the page's title section (its labels')."""
    section = next(iter(env.get_doctree(docname).findall(nodes.section)), None)
    return list(section["ids"]) if section is not None else []


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_design")
    app.add_config_value("polybook_frameworks", [], "env", types=[list])
    app.add_config_value("polybook_colab_url", "", "env", types=[str])
    app.add_config_value("polybook_languages", [], "env", types=[list])
    app.add_node(
        details,
        html=(visit_details_html, depart_details_html),
        latex=(visit_details_other, depart_details_other),
        text=(visit_details_other, depart_details_other),
    )
    app.add_transform(CodeTabs)
    app.add_transform(DownloadBar)
    app.add_transform(LanguageSwitcher)
    app.add_transform(PaperImages)
    app.add_transform(PaperNumbering)
    app.add_post_transform(ChapterNumbers)
    app.connect("builder-inited", _add_static)
    app.connect("build-finished", _copy_mathjax)
    if importlib.util.find_spec("kiwipiepy") is not None:
        from .search_ko import SearchKorean

        app.add_search_language(SearchKorean)
    # The doctrees Sphinx keeps were made by this extension's transforms: a change to them must
    # make Sphinx read every page again, which a new env_version does.
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return {
        "version": __version__,
        "env_version": int(code[:8], 16),
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("polybook.css")
    app.add_css_file("polybook-notices.css")
    _notice_css(app)
    if _offline_mathjax() is not None:
        app.config.mathjax_path = "mathjax/tex-chtml.js"


def _offline_mathjax() -> Path | None:
    """MathJax as the package sphinx-mathjax-offline ships it.

    We serve it from the site itself, so equations render without a network (readers behind
    firewalls, the browser tests). The package's own extension does the same but does not
    declare itself safe for parallel reading, which would make Sphinx read every page serially;
    so we take its files and copy them ourselves.
    """
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static" / "mathjax"
    return folder if folder.is_dir() else None


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    source = _offline_mathjax()
    if exception is None and source is not None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        if not (target / "tex-chtml.js").is_file():
            copy_asset(str(source), str(target))
