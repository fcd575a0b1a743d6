"""The Sphinx extension: framework tab sets around code cells, download bars, collapsed stderr.

A thin adapter: page assembly (:mod:`polybook.render.assemble`) already put each framework's code cell
side by side with metadata; here those cells, as MyST-NB made them into doctree containers,
are grouped into sphinx-design tab sets synchronised by framework (``sync-group: framework``,
so sphinx-design's own script remembers the reader's choice and reads ``?framework=``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from html import escape
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

from .. import __version__
from ..i18n.locale import LOCALES, available, locale
from .lookups import looked_up_doctree, setup_lookups
from .paper import setup_paper
from .refs import setup_refs
from .tabs import missing_note, setup_tabs, tab_item

LOGGER = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
EXTENSION_FILES = [
    Path(__file__).with_name(n) for n in ("sphinx_ext.py", "tabs.py", "refs.py", "paper.py", "lookups.py")
]
"""The files whose code makes the doctrees Sphinx keeps."""


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


def _page_language(app: Sphinx) -> str:
    """The book's code of the language being built (Sphinx's may be longer: ``zh_CN``)."""
    sphinx_code = app.config.language or "en"
    return next(
        (lang for lang in app.config.polybook_languages if locale(lang).sphinx_code == sphinx_code),
        sphinx_code.split("_")[0],
    )


def _words(app: Sphinx) -> dict[str, str]:
    return locale(_page_language(app)).words


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
                else missing_note(_words(self.app)["example"].format(fw=display))
            ]
            items.append(tab_item(display, fw, content))
        return create_component("tab-set", classes=["sd-tab-set", "polybook-code-tabs"], children=items)

    def collapse_stderr(self) -> None:
        for block in list(self.document.findall(nodes.literal_block)):
            if "stderr" in block.get("classes", []) and not isinstance(block.parent, details):
                folded = details(summary="stderr", classes=["polybook-stderr"])
                block.replace_self(folded)
                folded += block


class DescribeOutputs(SphinxPostTransform):
    """An image a cell printed is described as such, not by its file's path (docutils' ``alt``
    when none is given)."""

    default_priority = 6  # after MyST-NB chose each output's form (4)

    def run(self, **kwargs: Any) -> None:
        words = _words(self.app)
        for image in list(self.document.findall(nodes.image)):
            output = image.parent
            while output is not None and not (
                isinstance(output, nodes.container) and output.get("nb_element") == "cell_code_output"
            ):
                output = output.parent
            if output is not None and not image.get("alt"):
                image["alt"] = words["output_image"]


def _position(node: nodes.Node) -> int | None:
    if not isinstance(node, nodes.container) or node.get("nb_element") != "cell_code":
        return None
    metadata: dict[str, Any] = node.get("cell_metadata") or {}
    meta = metadata.get("polybook")
    return meta.get("position") if isinstance(meta, dict) else None


class download_menu(nodes.General, nodes.Element):
    """The page's download menu: ``items`` holds (framework or "", text, href) per link."""


def visit_download_menu_html(self: Any, node: download_menu) -> None:
    rows = []
    for framework, text, href in node["items"]:
        only = f' data-polybook-framework="{escape(framework, quote=True)}"' if framework else ""
        rows.append(f'<li{only}><a href="{escape(href, quote=True)}">{escape(text)}</a></li>')
    self.body.append(
        '<details class="polybook-download-menu no-search">'
        f"<summary>{escape(node['summary'])}</summary><ul>{''.join(rows)}</ul></details>\n"
    )
    raise nodes.SkipNode


class DownloadMenu(SphinxTransform):
    """Under a page's title: this page's notebook and the whole book's zip in the reader's
    framework (the menu follows the tabs), an Open-in-Colab link, and the PDF in this language."""

    default_priority = 410

    def apply(self, **kwargs: Any) -> None:
        if self.app.builder.format != "html":
            return
        docname = self.env.docname
        source = Path(self.env.doc2path(docname))
        config = self.app.config
        if source.suffix != ".ipynb" or not config.polybook_frameworks:
            return
        meta = json.loads(source.read_text(encoding="utf-8")).get("metadata", {}).get("polybook", {})
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None:
            return
        words, up = _words(self.app), "../" * docname.count("/")
        items: list[tuple[str, str, str]] = []
        for fw, display in config.polybook_frameworks:
            if fw in meta.get("downloads", ()):  # a page without code offers no notebook
                href = f"{up}_notebooks/{fw}/{docname}.ipynb"
                items.append((fw, words["download"].format(fw=display), href))
                if config.polybook_colab_url:
                    colab = config.polybook_colab_url.format(
                        framework=fw, page=docname, lang=_page_language(self.app)
                    )
                    items.append((fw, words["colab"], colab))
            if config.polybook_name:
                zip_name = f"{up}_downloads/{config.polybook_name}-{fw}.zip"
                items.append((fw, words["zip"].format(fw=display), zip_name))
        if config.polybook_pdf:
            items.append(("", words["pdf"], f"{up}_downloads/{config.polybook_pdf}"))
        if not items:
            return
        menu = download_menu("", summary=words["menu"], items=items)
        title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
        section.insert(title_index + 1, menu)


class language_line(nodes.General, nodes.Element):
    """The same page in the book's other languages: ``links`` holds (lang, name, href or "")."""


def visit_language_line_html(self: Any, node: language_line) -> None:
    parts = []
    for lang, name, href in node["links"]:
        if not href:
            parts.append(f'<strong lang="{lang}">{escape(name)}</strong>')
        else:
            parts.append(
                f'<a class="polybook-lang-{lang}" href="{escape(href, quote=True)}" hreflang="{lang}" '
                f'lang="{lang}">{escape(name)}</a>'
            )
    status, status_href = node["status"]
    href = escape(status_href, quote=True)
    parts.append(f'<a class="polybook-status-link" href="{href}">{escape(status)}</a>')
    self.body.append(f'<p class="polybook-languages no-search">{" · ".join(parts)}</p>\n')
    raise nodes.SkipNode


class FailureBanner(SphinxTransform):
    """At the top of a page whose notebook failed to run: in which framework, what, and where.

    The page itself shows the outputs of the cells that ran and the error under the failing
    cell (page assembly put them there); the banner says so before a reader meets it.
    """

    default_priority = 414  # after the download bar and the language line: it goes above both

    def apply(self, **kwargs: Any) -> None:
        source = Path(self.env.doc2path(self.env.docname))
        if source.suffix != ".ipynb":
            return
        meta = json.loads(source.read_text(encoding="utf-8")).get("metadata", {}).get("polybook", {})
        section = next(iter(self.document.findall(nodes.section)), None)
        if not meta.get("failed") or section is None:
            return
        words = _words(self.app)
        names = _framework_names(self.app)
        banner = nodes.error(classes=["polybook-failed"])
        for mark in meta["failed"]:
            where = mark.get("location") or meta.get("source", "")
            if mark.get("raised_at"):
                where += "; " + words["raised"].format(
                    function=mark.get("function", ""), where=mark["raised_at"]
                )
            fw = names.get(mark.get("framework", ""), mark.get("framework", ""))
            text = words["failed"].format(fw=fw, error=mark.get("error", ""), where=where)
            banner += nodes.paragraph(text, text)
        title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
        section.insert(title_index + 1, banner)


class LanguageSwitcher(SphinxTransform):
    """Above a page's title: the same page in each of the book's languages, and how much of
    the book this language has (its own translation status page)."""

    default_priority = 411  # after the download menu: both go right under the title, this one first

    def apply(self, **kwargs: Any) -> None:
        languages = self.app.config.polybook_languages
        if self.app.builder.format != "html" or self.env.docname == "translation-status":
            return
        section = next(iter(self.document.findall(nodes.section)), None)
        if len(languages) < 2 or section is None:
            return
        docname = self.env.docname
        up = "../" * (docname.count("/") + 1)
        current = _page_language(self.app)
        links = [
            (lang, locale(lang).name, "" if lang == current else f"{up}{lang}/{docname}.html")
            for lang in languages
        ]
        status = (_words(self.app)["status"], f"{up}{current}/translation-status.html")
        # after the title: Sphinx takes a section's first child for its title
        title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
        section.insert(title_index + 1, language_line("", links=links, status=status))


class passage(nodes.General, nodes.Element):
    """A passage of a translated page that is untranslated (``lang``: the source's), stale or a
    draft."""


def visit_passage_html(self: Any, node: passage) -> None:
    lang = f' lang="{node["lang"]}"' if node.get("lang") else ""
    self.body.append(f'<div class="{" ".join(node["classes"])}"{lang}>\n')


def depart_passage_html(self: Any, node: passage) -> None:
    self.body.append("</div>\n")


def visit_passage_latex(self: Any, node: passage) -> None:
    self.body.append("\n\\begin{polybookmarked}\n")


def depart_passage_latex(self: Any, node: passage) -> None:
    self.body.append("\n\\end{polybookmarked}\n")


PASSAGE_STATES = {
    "polybook-untranslated": "untranslated",
    "polybook-stale": "stale",
    "polybook-draft": "draft",
}


class PassageNotices(SphinxTransform):
    """A translated page's untranslated, stale and draft passages: one notice under the title says so
    for the page; each passage keeps a quiet mark (a rule in the margin), and an untranslated
    one says which language it is in (``lang``), for screen readers and hyphenation."""

    default_priority = 409  # before the download menu and the language line: they go above it

    def apply(self, **kwargs: Any) -> None:
        languages = self.app.config.polybook_languages
        source = languages[0] if languages else "en"
        found: list[str] = []
        for node in list(self.document.findall(nodes.container)):
            state = next((PASSAGE_STATES[c] for c in node["classes"] if c in PASSAGE_STATES), None)
            if state is None:
                continue
            found.append(state)
            marked = passage("", *node.children, classes=list(node["classes"]))
            if state == "untranslated":
                marked["lang"] = source
            node.replace_self(marked)
        section = next(iter(self.document.findall(nodes.section)), None)
        if not found or section is None:
            return
        notices = locale(_page_language(self.app)).notices
        text = " ".join(
            notices[f"{state}_page"] for state in ("untranslated", "stale", "draft") if state in found
        )
        notice = nodes.paragraph("", text, classes=["polybook-page-notice", "no-search"])
        title_index = next((i for i, c in enumerate(section.children) if isinstance(c, nodes.title)), -1)
        section.insert(title_index + 1, notice)


class ImagePlaceholders(SphinxTransform):
    """An image that does not exist (or, on paper, is remote) becomes a placeholder, not a crash.

    On the site the placeholder is a ``data:`` picture naming the file: Sphinx then records no
    dependency on a file that is not there, which would make it read the page again on every
    build (d2l-en's sources come without their PNG pictures: 26 pages read again per build).
    polybook has already warned about the missing file at the chapter's line.
    """

    default_priority = 412

    def apply(self, **kwargs: Any) -> None:
        paper = self.app.builder.format == "latex"
        srcdir = Path(self.app.srcdir)
        docdir = (srcdir / self.env.docname).parent
        for image in list(self.document.findall(nodes.image)):
            uri = image.get("uri", "")
            remote = "://" in uri or uri.startswith("data:")
            # "/x" is relative to the source folder (MyST-NB's outputs: /../../latex/jupyter_execute/…)
            local = srcdir / uri.lstrip("/") if uri.startswith("/") else docdir / uri
            if (remote and not paper) or (not remote and (local.exists() or (srcdir / uri).exists())):
                continue
            if not paper:
                image["uri"] = _missing_picture(uri)
                image.setdefault("alt", uri)
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


def _missing_picture(uri: str) -> str:
    """A small framed picture that names a missing file, as a ``data:`` URI."""
    name = escape(uri.rsplit("/", 1)[-1])
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="60">'
        '<rect x="1" y="1" width="318" height="58" fill="none" stroke="#888" stroke-dasharray="4"/>'
        f'<text x="160" y="35" font-family="sans-serif" font-size="14" fill="#555" '
        f'text-anchor="middle">[ image: {name} ]</text></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


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
        title_ids: dict[str, list[str]] = {}
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
    section = next(iter(looked_up_doctree(env, docname).findall(nodes.section)), None)
    return list(section["ids"]) if section is not None else []


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_design")
    app.add_config_value("polybook_frameworks", [], "env", types=[list])
    app.add_config_value("polybook_colab_url", "", "env", types=[str])
    app.add_config_value("polybook_languages", [], "env", types=[list])
    app.add_config_value("polybook_python_path", "", "env", types=[str])
    from .autodoc import setup as setup_autodoc

    setup_autodoc(app)
    app.add_config_value("polybook_name", "", "env", types=[str])
    app.add_config_value("polybook_pdf", "", "env", types=[str])
    """The PDF of the page's language, in ``_downloads/``; empty: none was made."""
    app.add_config_value("polybook_refs_dir", "", "", types=[str])
    app.add_node(
        details,
        html=(visit_details_html, depart_details_html),
        latex=(visit_details_other, depart_details_other),
        text=(visit_details_other, depart_details_other),
    )
    for node, html in (
        (download_menu, (visit_download_menu_html, None)),
        (language_line, (visit_language_line_html, None)),
    ):
        app.add_node(node, html=html, latex=(_skip, None), text=(_skip, None))
    app.add_node(
        passage,
        html=(visit_passage_html, depart_passage_html),
        latex=(visit_passage_latex, depart_passage_latex),
        text=(visit_details_other, depart_details_other),
    )
    app.add_transform(CodeTabs)
    app.add_transform(DownloadMenu)
    app.add_transform(LanguageSwitcher)
    app.add_transform(FailureBanner)
    app.add_transform(PassageNotices)
    app.add_transform(ImagePlaceholders)
    app.add_transform(PaperNumbering)
    app.add_post_transform(ChapterNumbers)
    app.add_post_transform(DescribeOutputs)
    setup_tabs(app)
    setup_refs(app)
    setup_paper(app)
    setup_lookups(app)
    app.connect("builder-inited", _add_static)
    app.connect("build-finished", _copy_mathjax)
    from .search import SPLITTERS, search_language, with_stems_kept

    for code in available():  # a locale file names the splitter its language's search needs
        splitter = SPLITTERS.get(locale(code).search, {}).get(code)
        if splitter is not None:
            app.add_search_language(splitter)
    indexing = search_language(app.config.language or "en")
    if indexing is not None:
        app.add_search_language(with_stems_kept(indexing))
    # The doctrees Sphinx keeps were made by this extension's transforms: a change to them must
    # make Sphinx read every page again, which a new env_version does.
    digest = hashlib.sha256()
    for path in [*EXTENSION_FILES, *sorted(LOCALES.glob("*.toml"))]:  # the words on pages too
        digest.update(path.read_bytes())
    code = digest.hexdigest()
    return {
        "version": __version__,
        "env_version": int(code[:8], 16),
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


def _skip(self: Any, node: nodes.Element) -> None:
    raise nodes.SkipNode


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("polybook.css")
    lang = _page_language(app)
    words = locale(lang).words
    # the reader's framework: the book's frameworks and the words the script shows
    data = {
        "frameworks": app.config.polybook_frameworks,
        "words": {"unknown": words["unknown"]},
    }
    app.add_js_file(None, body=f"window.POLYBOOK = {json.dumps(data, ensure_ascii=False)};")
    app.add_js_file("polybook.js")
    app.add_js_file("polybook-search.js")
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
        shared = Path(app.outdir).parent / "_static" / "mathjax"  # see shared_static.py
        if not (target / "tex-chtml.js").is_file() and not (shared / "tex-chtml.js").is_file():
            copy_asset(str(source), str(target))
