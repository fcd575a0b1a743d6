"""Look-ups Sphinx and sphinxcontrib-bibtex repeat, made once.

Profiled on d2l-en (192 pages, cold, serial), these were a fifth of the build, and most of a
rebuild after a one-sentence edit:

- Sphinx resolves each ``:numref:`` by unpickling the whole doctree of the target's page
  (``env.get_doctree``), once per reference: 988 unpickles, 30 s. Here a page's doctree is read
  once and kept (the last few pages' only) for the references that follow; a reference into the
  page being written uses that page itself.
- sphinxcontrib-bibtex asks pybtex for its plain-text backend at every citation, and pybtex
  then scans every installed distribution's entry points: 28 ms a citation, 17 s for d2l-en's
  610. Registering the class pybtex finds as a run-time plugin (pybtex's own API) makes the
  look-up a dictionary read.
- sphinxcontrib-bibtex formats every entry of the bibliography after any page is read, each
  twice (the reference and its tooltip): 864 formattings, 4 s of every d2l-en rebuild. Here a
  formatting is remembered by style, label and the entry's content, in the process and in a
  file beside the doctrees: an entry is formatted again only when it changes.
- After any page is read, Sphinx numbers the figures, tables and code blocks of the whole book
  again, unpickling every page's doctree to walk it (4 s of every d2l-en rebuild). Here each
  page keeps, when it is read, a skeleton of what that walk looks at (sections, tables of
  contents, numbered nodes with their captions, in order), and the walk goes over skeletons.

None changes what is resolved: the doctrees are only looked up (Sphinx's numref reads a
node's class and ids), and the backend is the very class the entry point names.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.domains.std import StandardDomain
from sphinx.environment.collectors import EnvironmentCollector
from sphinx.environment.collectors.toctree import TocTreeCollector

from ..fsutil import write_bytes

KEPT = 16
"""Doctrees kept for look-ups: a page's references go mostly to itself and a few neighbours."""

_read: OrderedDict[str, nodes.document] = OrderedDict()

Reader = Callable[[str], nodes.document]


def _forget(*args: Any) -> None:
    """Pages were read again (a rebuild, a warm ``serve``): what was kept is stale."""
    _read.clear()


def _looked_up(docname: str, read: Reader) -> nodes.document:
    doctree = _read.get(docname)
    if doctree is None:
        doctree = _read[docname] = read(docname)
        while len(_read) > KEPT:
            _read.popitem(last=False)
    else:
        _read.move_to_end(docname)
    return doctree


def looked_up_doctree(env: Any, docname: str) -> nodes.document:
    """A page's doctree to look things up in, never to change (read once for many look-ups)."""
    return _looked_up(docname, env.get_doctree)


@contextlib.contextmanager
def _doctrees_through(env: Any, lookup: Callable[[str, Reader], nodes.Element]) -> Iterator[None]:
    """Within: Sphinx's ``env.get_doctree`` answered by ``lookup`` (given Sphinx's own reader),
    for a call of Sphinx's that only looks pages up."""
    read = env.get_doctree
    env.get_doctree = lambda docname: lookup(docname, read)
    try:
        yield
    finally:
        del env.get_doctree


class StandardDomainReadingOnce(StandardDomain):
    """Sphinx's standard domain, with a :numref: that reads each target page once."""

    def _resolve_numref_xref(
        self, env: Any, fromdocname: str, builder: Any, typ: str, target: str, node: Any, contnode: Any
    ) -> Any:
        here: nodes.document | None = node.document

        def lookup(docname: str, read: Reader) -> nodes.document:
            if docname == fromdocname and here is not None:
                return here  # the page being written has the same ids as its pickled doctree
            return _looked_up(docname, read)

        with _doctrees_through(env, lookup):
            return super()._resolve_numref_xref(env, fromdocname, builder, typ, target, node, contnode)


def _backend_found_once() -> None:
    import pybtex.plugin

    backend = pybtex.plugin.find_plugin("pybtex.backends", "plaintext")
    pybtex.plugin.register_plugin("pybtex.backends", "plaintext", backend, force=True)


def _bare(node: nodes.Element) -> nodes.Element:
    """``node``'s class with only what numbering reads of it: its ids (and the mark of a code
    block's container); not its source text or a notebook cell's metadata."""
    bare = node.__class__()
    bare["ids"] = list(node["ids"])
    if "literal_block" in node:
        bare["literal_block"] = node["literal_block"]
    return bare


def _skeleton_of(node: nodes.Element, env: Any) -> list[nodes.Element]:
    """What figure numbering walks of ``node``'s children, in order: sections (their ids),
    tables of contents (their entries), numbered nodes (bare, with the caption or title that
    numbers them and what a code block's container is told by; equations bare); everything
    else is replaced by what it holds. A captionless figure, table or container is not
    numbered: Sphinx skips it, and so does its skeleton (keeping what is inside)."""
    kept: list[nodes.Element] = []
    std = env.domains.standard_domain
    for child in node.children:
        if not isinstance(child, nodes.Element):
            continue
        copy: nodes.Element
        if isinstance(child, addnodes.toctree):
            copy = child.copy()
        elif isinstance(child, nodes.section):
            copy = _bare(child)
        elif any(domain.get_enumerable_node_type(child) for domain in env.domains.sorted()):
            _, title_getter = std.enumerable_nodes.get(child.__class__, (None, None))
            if title_getter is not None:  # an extension's own numbered node: its getter may read anything
                kept.append(child.deepcopy())
                continue
            titles = [part for part in child.children if isinstance(part, nodes.caption | nodes.title)]
            # other domains number without a title (the math domain its equations)
            elsewhere = any(
                domain.get_enumerable_node_type(child)
                for domain in env.domains.sorted()
                if not isinstance(domain, StandardDomain)
            )
            if not titles and not elsewhere:
                kept += _skeleton_of(child, env)
                continue
            copy = _bare(child)
            for part in child.children:
                if any(part is title for title in titles):
                    copy.append(part.deepcopy())
                elif isinstance(part, nodes.literal_block):
                    copy.append(nodes.literal_block())
        else:
            kept += _skeleton_of(child, env)
            continue
        copy.extend(_skeleton_of(child, env))
        kept.append(copy)
    return kept


def _skeletons(env: Any) -> dict[str, nodes.Element]:
    found: dict[str, nodes.Element] = env.__dict__.setdefault("polybook_numbering", {})
    return found


class NumberingSkeletons(EnvironmentCollector):
    """Each page's skeleton for figure numbering, kept in the environment as it is read."""

    def clear_doc(self, app: Sphinx, env: Any, docname: str) -> None:
        _skeletons(env).pop(docname, None)

    def merge_other(self, app: Sphinx, env: Any, docnames: AbstractSet[str], other: Any) -> None:
        theirs = _skeletons(other)
        _skeletons(env).update((name, theirs[name]) for name in docnames if name in theirs)

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        skeleton = nodes.Element()
        skeleton.extend(_skeleton_of(doctree, app.env))
        for node in skeleton.findall():  # its text too
            # a copied node keeps a reference to its whole document, which the environment
            # would then pickle with it (and send back from every parallel reader)
            node._document = None  # type: ignore[attr-defined]
        _skeletons(app.env)[app.env.docname] = skeleton


_assign_figure_numbers = TocTreeCollector.assign_figure_numbers


def _assign_figure_numbers_on_skeletons(self: TocTreeCollector, env: Any) -> list[str]:
    """Sphinx's own numbering, walking each page's skeleton instead of its unpickled doctree
    (a page read before this extension kept skeletons is unpickled as before)."""
    skeletons = _skeletons(env)

    def lookup(docname: str, read: Reader) -> nodes.Element:
        return skeletons[docname] if docname in skeletons else read(docname)

    with _doctrees_through(env, lookup):
        return _assign_figure_numbers(self, env)


FORMATTED = "polybook-bibliography.pickle"
"""Beside Sphinx's doctrees: the formatted entries, for the next build's process."""

_formatted: dict[tuple[str, str, str], Any] = {}
_formatted_loaded: set[str] = set()
formatted_anew = 0
"""How many entries this process had to format (the others were remembered)."""


def _entry_digest(entry: Any) -> str:
    """What an entry's formatting depends on: its key, type, fields and people."""
    people = sorted((role, [str(person) for person in persons]) for role, persons in entry.persons.items())
    content = repr((entry.key, entry.type, sorted(entry.fields.items()), people))
    return hashlib.sha256(content.encode()).hexdigest()


def _formatting_remembered() -> None:
    from pybtex.style.formatting import BaseStyle

    format_entry = BaseStyle.format_entry
    if getattr(format_entry, "remembered", False):
        return

    def remembered_format_entry(self: Any, label: str, entry: Any, bib_data: Any = None) -> Any:
        if bib_data is not None:  # formatting that reads the whole database: not what Sphinx asks
            return format_entry(self, label, entry, bib_data=bib_data)
        style = type(self)
        key = (f"{style.__module__}.{style.__qualname__}", label, _entry_digest(entry))
        found = _formatted.get(key)
        if found is None:
            global formatted_anew
            formatted_anew += 1
            found = _formatted[key] = format_entry(self, label, entry)
        return found

    remembered_format_entry.remembered = True  # type: ignore[attr-defined]
    BaseStyle.format_entry = remembered_format_entry  # type: ignore[method-assign]


def _load_formatted(app: Sphinx) -> None:
    """The entries formatted by earlier builds of this output folder (polybook's own file, as
    trusted as the doctrees Sphinx unpickles beside it; anything unreadable is ignored)."""
    path = Path(app.doctreedir) / FORMATTED
    if str(path) in _formatted_loaded:
        return
    _formatted_loaded.add(str(path))
    try:
        found = pickle.loads(path.read_bytes())
    except Exception:  # absent, from another version of pybtex, cut short: format again
        return
    if isinstance(found, dict):
        _formatted.update(found)


def _save_formatted(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and _formatted:
        write_bytes(Path(app.doctreedir) / FORMATTED, pickle.dumps(_formatted))


def setup_lookups(app: Sphinx) -> None:
    app.add_domain(StandardDomainReadingOnce, override=True)
    app.connect("env-updated", _forget)
    app.connect("env-purge-doc", _forget)
    _backend_found_once()
    _formatting_remembered()
    app.connect("builder-inited", _load_formatted)
    app.connect("build-finished", _save_formatted)
    app.add_env_collector(NumberingSkeletons)
    # Sphinx offers no hook into its numbering: its collector's method is replaced, in this
    # process only (Sphinx runs in a process of its own), by one that calls it unchanged
    TocTreeCollector.assign_figure_numbers = _assign_figure_numbers_on_skeletons  # type: ignore[method-assign]


def setup(app: Sphinx) -> dict[str, Any]:
    """Alone, for tests: ``extensions = ["polybook.render.lookups"]``."""
    setup_lookups(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
