"""Two look-ups Sphinx and sphinxcontrib-bibtex repeat per reference, made once.

Profiled on d2l-en (192 pages, cold, serial), these were a fifth of the build:

- Sphinx resolves each ``:numref:`` by unpickling the whole doctree of the target's page
  (``env.get_doctree``), once per reference: 988 unpickles, 30 s. Here a page's doctree is read
  once and kept (the last few pages' only) for the references that follow; a reference into the
  page being written uses that page itself.
- sphinxcontrib-bibtex asks pybtex for its plain-text backend at every citation, and pybtex
  then scans every installed distribution's entry points: 28 ms a citation, 17 s for d2l-en's
  610. Registering the class pybtex finds as a run-time plugin (pybtex's own API) makes the
  look-up a dictionary read.

Neither changes what is resolved: the doctrees are only looked up (Sphinx's numref reads a
node's class and ids), and the backend is the very class the entry point names.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.domains.std import StandardDomain

KEPT = 16
"""Doctrees kept for look-ups: a page's references go mostly to itself and a few neighbours."""

_read: OrderedDict[str, nodes.document] = OrderedDict()


def _forget(*args: Any) -> None:
    """Pages were read again (a rebuild, a warm ``serve``): what was kept is stale."""
    _read.clear()


def _looked_up(docname: str, read: Callable[[str], nodes.document]) -> nodes.document:
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


class StandardDomainReadingOnce(StandardDomain):
    """Sphinx's standard domain, with a :numref: that reads each target page once."""

    def _resolve_numref_xref(
        self, env: Any, fromdocname: str, builder: Any, typ: str, target: str, node: Any, contnode: Any
    ) -> Any:
        read = env.get_doctree
        here: nodes.document | None = node.document

        def lookup(docname: str) -> nodes.document:
            if docname == fromdocname and here is not None:
                return here  # the page being written has the same ids as its pickled doctree
            return _looked_up(docname, read)

        env.get_doctree = lookup  # for this call only: Sphinx looks the target up through it
        try:
            return super()._resolve_numref_xref(env, fromdocname, builder, typ, target, node, contnode)
        finally:
            del env.get_doctree


def _backend_found_once() -> None:
    import pybtex.plugin

    backend = pybtex.plugin.find_plugin("pybtex.backends", "plaintext")
    pybtex.plugin.register_plugin("pybtex.backends", "plaintext", backend, force=True)


def setup_lookups(app: Sphinx) -> None:
    app.add_domain(StandardDomainReadingOnce, override=True)
    app.connect("env-updated", _forget)
    app.connect("env-purge-doc", _forget)
    _backend_found_once()
