"""What a language's site offers to download: readers' notebooks, a zip per framework, the book's
``d2l`` package as a wheel, and the PDF.

Made after Sphinx, because a reader's notebook reads references and numbers as the site shows
them (``render/refs.py`` records them while Sphinx writes the pages):

- ``html/<lang>/_notebooks/<fw>/<page>.ipynb``: the page in that language, for that framework
  (``generate/reader.py``);
- ``html/<lang>/_downloads/<name>-<fw>.zip``: all of them;
- ``html/_downloads/d2l_<name>-<release>-py3-none-any.whl``: the library, which each notebook's
  first cell installs (from ``polybook_d2l_url``, the published site, or PyPI);
- ``html/<lang>/_downloads/<name>.pdf``: the language's PDF, when one was made.
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import io
import json
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Diagnostics
from ..execution.envs import COMMON_REQUIREMENTS
from ..fsutil import copy_file, write_bytes, write_json, write_text
from ..generate.library import build_library
from ..generate.reader import Reader, Resolved, attachment, dumps_reader, install_cell, reader_notebook
from ..i18n.locale import locale
from ..source.book import Book
from ..source.config import BookConfig
from ..source.document import Document
from ..source.frameworks import Framework

if TYPE_CHECKING:
    from .site import SiteResult

ZIP_TIME = (2020, 1, 1, 0, 0, 0)
"""Zip entries carry this date, so an archive's bytes depend only on its content."""


def deterministic_zip(files: list[tuple[str, bytes]]) -> bytes:
    """A zip of (name, bytes), the same bytes for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def colab_pattern(config: BookConfig) -> str:
    """The Open-in-Colab URL of a page, with ``{framework}``, ``{page}`` and ``{lang}`` to fill
    in: the configured one, or one derived from a GitHub repository whose ``notebooks`` branch
    holds each language's ``_notebooks`` folder (``<lang>/<framework>/<page>.ipynb``)."""
    if config.colab_url:
        return config.colab_url
    found = re.match(r"https?://github\.com/([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", config.repository)
    if not found:
        return ""
    owner, repo = found.groups()
    return (
        f"https://colab.research.google.com/github/{owner}/{repo}/blob/notebooks/"
        "{lang}/{framework}/{page}.ipynb"
    )


@dataclass(frozen=True)
class Wheel:
    distribution: str
    version: str
    filename: str

    def requirement(self, config: BookConfig) -> str:
        """What a reader's notebook installs the package from."""
        if config.d2l_url:
            url = config.d2l_url.format(wheel=self.filename, version=self.version)
            return f"{self.distribution} @ {url}"
        if config.site_url:
            return f"{self.distribution} @ {config.site_url.rstrip('/')}/_downloads/{self.filename}"
        return f"{self.distribution}=={self.version}"


def wheel_of(config: BookConfig) -> Wheel:
    name = re.sub(r"[^A-Za-z0-9.]+", "-", config.name).strip("-").lower() or "book"
    distribution = name if name == "d2l" or name.startswith("d2l-") else f"d2l-{name}"
    version = re.sub(r"[^A-Za-z0-9.+]+", ".", config.release).strip(".") or "0"
    filename = f"{distribution.replace('-', '_')}-{version}-py3-none-any.whl"
    return Wheel(distribution, version, filename)


def build_wheel(book: Book, site: Path) -> Wheel:
    """``site/_downloads/<wheel>``: the book's ``d2l`` package, one module per framework.

    Written here rather than by pip and a build backend: a pure-Python wheel is a zip with
    three metadata files (PEP 427), and writing it directly keeps it byte-stable and takes
    milliseconds instead of a build subprocess per site build.
    """
    config = book.config
    wheel = wheel_of(config)
    target = site / "_downloads" / wheel.filename
    # made again only when a page, the configuration or polybook's library code changed
    key = hashlib.sha256(
        json.dumps(
            [
                [doc.content_key() for doc in book.pages],
                config.name,
                config.title,
                config.release,
                list(config.requirements),
                [fw.module for fw in config.frameworks],
                _LIBRARY,
            ]
        ).encode()
    ).hexdigest()
    stamp = site / "_downloads" / f".{wheel.filename}.key"
    if target.is_file() and stamp.is_file() and stamp.read_text() == key:
        return wheel
    texts = {fw.module: build_library(book, fw, Diagnostics()) for fw in config.frameworks}
    files = {
        "d2l/__init__.py": f'"""The d2l library of {config.title}."""\n\n__version__ = "{wheel.version}"\n'
    }
    files |= {f"d2l/{module}.py": text for module, text in texts.items()}
    requires = [r for r in COMMON_REQUIREMENTS if r != "ipykernel"] + [
        "matplotlib-inline",
        *config.requirements,
    ]
    info = f"{wheel.distribution.replace('-', '_')}-{wheel.version}.dist-info"
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {wheel.distribution}\nVersion: {wheel.version}\n"
        f"Summary: The d2l library of {config.title}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: polybook\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    records = []
    for name, text in sorted(files.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        records.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*records, f"{info}/RECORD,,"]) + "\n"
    write_bytes(target, deterministic_zip([(n, t.encode()) for n, t in files.items()]))
    write_text(stamp, key)
    return wheel


_LIBRARY = hashlib.sha256(
    (Path(__file__).parent.parent / "generate" / "library.py").read_bytes() + Path(__file__).read_bytes()
).hexdigest()[:16]


def _refs(out: Path, lang: str, page: str) -> Resolved:
    try:
        return Resolved.from_json(json.loads((out / "site" / "_refs" / lang / f"{page}.json").read_text()))
    except (OSError, ValueError):
        return Resolved()


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file polybook wrote; None when it is missing or unreadable."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return None


def _stat(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return "-"
    return f"{info.st_size}:{info.st_mtime_ns}"


#: The code that makes readers' notebooks: a new version of it makes every one again.
_READER = hashlib.sha256(
    b"".join(
        (Path(__file__).parent.parent / "generate" / name).read_bytes() for name in ("reader.py", "myst.py")
    )
    + Path(__file__).read_bytes()
).hexdigest()[:16]


def reader_downloads(
    book: Book, frameworks: tuple[Framework, ...], out: Path, site_result: SiteResult, wheel: Wheel
) -> int:
    """Write the language's readers' notebooks and zips; return how many notebooks changed.

    A notebook is made again only when what it is made from changed (the page as assembled,
    its numbered references, its images, the wheel and the Colab link), and a zip only when one
    of its notebooks did: a manifest in ``OUT/site`` keeps their keys.
    """
    config = book.config
    lang = site_result.lang
    site = out / "html" / lang
    root = config.root.resolve()
    titles = site_result.titles
    colab = colab_pattern(config)
    words = locale(lang).words
    manifest_path = out / "site" / f".readers-{lang}.json"
    previous = read_json(manifest_path) or {}
    manifest: dict[str, Any] = {}
    changed = 0
    made: set[Path] = set()
    navigation = hashlib.sha256(json.dumps(sorted(titles.items())).encode()).hexdigest()
    archives: list[tuple[Path, list[tuple[str, Path]]]] = []
    for fw in frameworks:
        members: list[tuple[str, str, Path]] = []
        install = install_cell(wheel.requirement(config), fw)
        for source in book.pages:
            if not any(c.shown_for(fw.name) for c in source.cells):
                continue  # a page without code offers no notebook
            target = site / "_notebooks" / fw.name / f"{source.name}.ipynb"
            images = [
                str(source.path.parent / src) for block in source.text_blocks for src, _ in block.images
            ]
            key = hashlib.sha256(
                json.dumps(
                    [
                        _READER,
                        site_result.keys.get(source.name, ""),
                        fw.name,
                        install,
                        colab,
                        _stat(out / "site" / "_refs" / lang / f"{source.name}.json"),
                        [_stat(Path(image)) for image in images],
                        navigation if source.toc() else "",
                    ]
                ).encode()
            ).hexdigest()
            manifest[f"{fw.name}/{source.name}"] = key
            if previous.get(f"{fw.name}/{source.name}") != key or not target.is_file():
                doc = site_result.document(book, source.name)
                text = _reader_text(book, fw, doc, out, lang, titles, install, colab, words, root)
                if text is None:
                    continue
                changed += write_text(target, text)
            made.add(target)
            members.append((f"{config.name}-{fw.name}/{source.name}.ipynb", key, target))
        archive = site / "_downloads" / f"{config.name}-{fw.name}.zip"
        zip_key = hashlib.sha256(json.dumps([(name, key) for name, key, _ in members]).encode()).hexdigest()
        manifest[f"zip/{fw.name}"] = zip_key
        if members and (previous.get(f"zip/{fw.name}") != zip_key or not archive.is_file()):
            archives.append((archive, [(name, path) for name, _, path in members]))

    def write_archive(archive: Path, members: list[tuple[str, Path]]) -> None:
        write_bytes(archive, deterministic_zip([(name, path.read_bytes()) for name, path in members]))

    # zlib lets go of the interpreter while it compresses: the frameworks' zips on all cores
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda job: write_archive(*job), archives))
    notebooks = site / "_notebooks"
    for stale in notebooks.rglob("*.ipynb") if notebooks.is_dir() else []:
        if stale not in made:
            stale.unlink()
    write_json(manifest_path, manifest)
    return changed


def _reader_text(
    book: Book,
    fw: Framework,
    doc: Document,
    out: Path,
    lang: str,
    titles: dict[str, str],
    install: Any,
    colab: str,
    words: dict[str, str],
    root: Path,
) -> str | None:
    """One reader's notebook: the page in ``lang`` for ``fw``, as a reader downloads it."""
    folder = doc.path.parent

    def image(src: str) -> tuple[str, str, bytes] | str | None:
        if "://" in src:
            return src
        path = (folder / src).resolve()
        if not path.is_file() or not path.is_relative_to(root):
            return None
        return attachment(path.relative_to(root).as_posix().replace("/", "_"), path.read_bytes())

    def toc_entry(entry: str) -> tuple[str, str]:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(doc.name), entry.removesuffix(".md")))
        number = _refs(out, lang, target).page
        title = titles.get(target, target)
        href = posixpath.relpath(f"{target}.ipynb", posixpath.dirname(doc.name) or ".")
        return (f"{number}. {title}" if number else title), href

    reader = Reader(
        _refs(out, lang, doc.name),
        image,
        install,
        colab.format(framework=fw.name, page=doc.name, lang=lang) if colab else "",
        words["colab"],
        toc_entry,
    )
    executed = read_json(out / "executed" / fw.name / f"{doc.name}.ipynb")
    nb = reader_notebook(doc, fw, executed, reader, doc.path.relative_to(root).as_posix())
    return None if nb is None else dumps_reader(nb)


def pdf_name(book: Book, out: Path, lang: str) -> str:
    """The file name of the language's PDF when one was made (``polybook build pdf``), else ""."""
    pdf = out / "pdf" / lang / f"{book.config.name}.pdf"
    return pdf.name if pdf.is_file() else ""


def copy_pdf(book: Book, out: Path, lang: str) -> None:
    """The language's PDF into its site's downloads."""
    name = pdf_name(book, out, lang)
    if name:
        copy_file(out / "pdf" / lang / name, out / "html" / lang / "_downloads" / name)
