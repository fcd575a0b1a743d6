"""A d2lbook book's ``config.ini``: every key is mapped onto a setting, or reported once.

The settings that d2lbook and polybook share are declared in :class:`BookConfig` (each field's
``ini`` key); this module reads the file, maps those, reads the ``[library-<fw>]`` sections, and
for every other key that holds a value says why polybook does not use it — a key is never
silently ignored. A key neither knows is reported as unknown. A ``[polybook]`` section takes
any of polybook's own settings by its ``conf.py`` name without the prefix (``requirements =
requests scipy``, ``languages = en ko``), so a d2lbook book needs no second configuration file.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Diagnostic, Kind, Position
from ..fsutil import read_source
from .config import BookConfig, _build, _library, _line_of, _options

#: Keys of d2lbook's configuration that polybook does not use, and why.
IGNORED: dict[tuple[str, str], str] = {
    ("build", "index"): "the root page is always index.md",
    ("build", "rsts"): "reStructuredText pages are not read; write `eval_rst` blocks in a page",
    ("build", "dependencies"): "polybook rebuilds what changed by content, not by listed files",
    ("build", "output_dir"): "give `--out DIR` (default: _build)",
    ("build", "origin_repo"): "translations live beside the source (`polybook translate`)",
    ("translation", "origin_repo"): "translations live beside the source (`polybook translate`)",
    ("translation", "origin_lang"): "the source language is the first of polybook_languages",
    ("translation", "translator"): "machine translation: `polybook translate suggest`",
    ("translation", "terminology"): "glossaries live in translations/<lang>/glossary.tsv",
    ("pdf", "post_latex"): "polybook runs no script of the book's on the generated LaTeX",
    ("pdf", "latex_url"): "polybook downloads nothing while building; its LaTeX style is built in",
    ("pdf", "style"): "the bibliography style is polybook's (author-year)",
    ("library", "save_filename"): "deprecated in d2lbook; `#@save` blocks go to d2l/<framework>.py",
    ("library", "save_mark"): "deprecated in d2lbook; the mark is `#@save`",
    ("library", "save_patterns"): "deprecated in d2lbook; the mark is `#@save`",
    ("library", "version"): "deprecated in d2lbook; the version is [project] release",
    ("library", "root_dir"): "the library goes to d2l/ (or `polybook lib --out DIR`)",
    ("deploy", "*"): "polybook builds; publishing the site is left to your CI",
    ("colab", "*"): "Colab links come from polybook_colab_url (or polybook_repository)",
    ("sagemaker", "*"): "SageMaker notebooks are not made",
    ("slides", "*"): "slides are not made; slide marks render as their plain content",
}
#: ``[library-<fw>]`` keys read by polybook; ``reverse_alias`` rewrites notebooks for Colab.
LIBRARY_KEYS = {"lib_name", "lib_file", "simple_alias", "fluent_alias", "alias"}
PDF_FONTS = ("main_font", "sans_font", "mono_font")


def _note(path: Path, line: int, message: str) -> Diagnostic:
    return Diagnostic(Kind.CONFIG_IGNORED, message, Position(str(path), line))


def read_config_ini(root: Path) -> BookConfig:
    """Read a d2lbook book's ``config.ini``, mapping its keys onto :class:`BookConfig`.

    :raises ConfigError: for a value that is invalid, located at its line.
    """
    path = root / "config.ini"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_source(path), source=str(path))
    except configparser.Error as exc:
        line = getattr(exc, "lineno", 0) or 0
        raise ConfigError(f"cannot read: {exc.message.splitlines()[0]}", path=str(path), line=line) from None
    mapped = {f.metadata["ini"]: f.name for f in _options() if f.metadata["ini"]}
    values: dict[str, Any] = {}
    notes: list[Diagnostic] = []
    whole: dict[str, list[str]] = {}
    own = {f.metadata["conf"].removeprefix("polybook_"): f.name for f in _options()}
    for section in parser.sections():
        if section.startswith("library-"):
            continue
        for key, value in parser.items(section):
            if not value.strip():
                continue  # an empty value keeps the default, as in d2lbook
            if section == "polybook" and key in own:
                values[own[key]] = value  # polybook's own settings, by their conf.py names
            elif (section, key) in mapped:
                values[mapped[(section, key)]] = value
            elif section == "pdf" and key in PDF_FONTS:
                continue
            elif (section, "*") in IGNORED:
                whole.setdefault(section, []).append(key)
            else:
                why = IGNORED.get((section, key))
                line = _line_of(str(path), key, section)
                if why is None:
                    notes.append(_note(path, line, f"[{section}] {key}: not a d2lbook or polybook setting"))
                else:
                    notes.append(_note(path, line, f"[{section}] {key} is not used: {why}"))
    for section, keys in whole.items():  # a section polybook leaves aside: one note for all of it
        line = _section_line(path, section)
        notes.append(
            _note(path, line, f"[{section}] ({', '.join(keys)}) is not used: {IGNORED[(section, '*')]}")
        )
    fonts = tuple(parser.get("pdf", key, fallback="").strip() for key in PDF_FONTS)
    if any(fonts):
        values["pdf_fonts"] = fonts
    library = {}
    for section in parser.sections():
        if not section.startswith("library-"):
            continue
        fw, spec = section.removeprefix("library-"), dict(parser.items(section))
        try:  # one section at a time, so an error names its line
            _library({fw: spec})
        except ValueError as exc:
            key = str(exc).split(":", 1)[0]
            line = _line_of(str(path), key, section) if parser.has_option(section, key) else 0
            raise ConfigError(
                f"[{section}] {exc}", key=f"{section}.{key}", path=str(path), line=line
            ) from None
        for key in sorted(set(spec) - LIBRARY_KEYS):
            if spec[key].strip():
                why = (
                    "notebooks keep the d2l names; polybook makes no d2l-free copies"
                    if key == "reverse_alias"
                    else "not a d2lbook or polybook setting"
                )
                notes.append(_note(path, _line_of(str(path), key, section), f"[{section}] {key}: {why}"))
        library[fw] = spec
    if library:
        values["library"] = library
    config = _build(root, str(path), values)
    return _with_notes(config, notes)


def _section_line(path: Path, section: str) -> int:
    lines = read_source(path).splitlines()
    return next((n for n, line in enumerate(lines, start=1) if line.strip() == f"[{section}]"), 0)


def _with_notes(config: BookConfig, notes: list[Diagnostic]) -> BookConfig:
    import dataclasses

    return dataclasses.replace(config, notes=tuple(notes))
