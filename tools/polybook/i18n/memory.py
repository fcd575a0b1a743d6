"""`polybook translate suggest`: drafts from the book's own translation memory, or a machine.

The memory is every translated pair of a language (stale ones and drafts left out). For each
untranslated or stale unit, the most similar translated source block of the book (rapidfuzz)
lends its translation as a draft, written under a ``polybook:draft score=…`` note: a draft is
never counted as translated, the site shows it with a "draft" notice, and a translator accepts
it by deleting the note. Units the memory cannot help with may go to a machine-translation
:class:`Backend`: argostranslate when it and a model for the language are installed (none
ships with polybook), or any class named as ``module:Class``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rapidfuzz import fuzz, process

from ..errors import UsageError
from .pairs import Pair

THRESHOLD = 0.7
"""How similar a remembered source block must be to lend its translation (0 to 1)."""


@runtime_checkable
class Backend(Protocol):
    """A machine translator: one call translates a batch of Markdown blocks."""

    name: str

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...


class ArgosBackend:
    """Argos Translate (CTranslate2 models), when it is installed with a model for the pair."""

    name = "argos"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        try:
            from argostranslate import translate as argos  # type: ignore[import-not-found]
        except ImportError as exc:
            raise UsageError("--mt argos needs argostranslate: pip install argostranslate") from exc
        languages = {lang.code: lang for lang in argos.get_installed_languages()}
        model = (
            languages[source].get_translation(languages[target])
            if {source, target} <= set(languages)
            else None
        )
        if model is None:
            raise UsageError(
                f"argostranslate has no model for {source} to {target}: install one with argospm"
            )
        return [model.translate(text) for text in texts]


def load_backend(spec: str) -> Backend:
    """The backend named on the command line: ``argos`` or ``module:Class``."""
    if spec == "argos":
        return ArgosBackend()
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise UsageError(f"--mt {spec}: name argos or a backend as module:Class")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--mt {spec}: {exc}") from exc
    backend = factory()
    if not isinstance(backend, Backend):
        raise UsageError(f"--mt {spec}: not a backend (it needs a name and translate(texts, source, target))")
    return backend


@dataclass
class Memory:
    """A language's translated source blocks and their translations."""

    sources: list[str]
    translations: list[str]

    @classmethod
    def of(cls, pairs: Sequence[Pair]) -> Memory:
        usable = [p for p in pairs if p.translation and p.previous is None]
        return cls([p.source for p in usable], [p.translation for p in usable])

    def best(self, text: str, threshold: float = THRESHOLD) -> tuple[str, float] | None:
        """The translation of the most similar remembered source, and the similarity."""
        if not self.sources:
            return None
        found = process.extractOne(text, self.sources, scorer=fuzz.ratio, score_cutoff=threshold * 100)
        if found is None:
            return None
        _, score, index = found
        return self.translations[index], score / 100


def wants_draft(pair: Pair) -> bool:
    """An untranslated or stale unit without a draft yet."""
    return not pair.draft and (not pair.translation or pair.previous is not None)


def suggest(
    pairs: list[Pair],
    memory: Memory,
    *,
    backend: Backend | None = None,
    languages: tuple[str, str] = ("en", ""),
    threshold: float = THRESHOLD,
) -> int:
    """Give drafts to the units of one page that want one; how many got one."""
    made = 0
    rest = []
    for pair in pairs:
        if not wants_draft(pair):
            continue
        found = memory.best(pair.source, threshold)
        if found is not None and found[0] != pair.translation:
            pair.draft, pair.draft_from = found[0], f"score={found[1]:.2f}"
            made += 1
        elif found is None:
            rest.append(pair)
    if backend is not None and rest:
        drafts = backend.translate([p.source for p in rest], *languages)
        for pair, draft in zip(rest, drafts, strict=True):
            if draft.strip():
                pair.draft, pair.draft_from = draft.strip("\n"), f"mt={backend.name}"
                made += 1
    return made
