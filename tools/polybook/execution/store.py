"""The shared cache store: executed notebooks that every machine and CI run reads and fills,
wherever fsspec reaches (``file://``, ``s3://`` through s3fs, ``gs://`` …).

Layout under the store's URL, as under ``OUT/cache``::

    entries/<fw>/<key>.ipynb    content-addressed: written once, never changed
    records/<fw>/<page>.json    the page's last successful run (its key, what made it, seconds)

An entry is written once and whole. On a local or mounted disk, it is written under a
temporary name and then hard-linked to its name: a link fails when the name exists, so the
first writer wins and no reader ever sees half a file. Elsewhere it is a conditional put
(S3's ``If-None-Match: *``, through s3fs's ``mode="create"``): the store refuses a second
object at that key, and an object appears whole or not at all. Two clients that execute the
same notebook at once so leave one whole entry. Records are simply overwritten (the last run
wins): they only explain a run and order its jobs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import PolybookError
from ..fsutil import write_bytes


class StoreError(PolybookError):
    """The shared cache store cannot be read."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(url, detail)
        self.url, self.detail = url, detail

    def __str__(self) -> str:
        return f"the shared cache {self.url} cannot be used: {self.detail}"


class Store:
    """A shared cache store at ``url`` (an fsspec URL or a folder)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError, OSError) as exc:
            raise StoreError(url, f"{type(exc).__name__}: {exc}") from exc
        self.local = isinstance(self.fs, LocalFileSystem)
        self.problems: list[str] = []
        """What could not be written (the run goes on: its results are kept locally)."""

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def _path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def entry(self, framework: str, key: str) -> str:
        return self._path("entries", framework, f"{key}.ipynb")

    def record(self, framework: str, page: str) -> str:
        return self._path("records", framework, f"{page}.json")

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The contents of those of ``paths`` that exist (fetched concurrently where the
        filesystem can).

        :raises StoreError: when the store fails otherwise than by a missing file.
        """
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        try:
            # one GET per file, concurrent on object stores (cat would ask for each file's
            # existence and listing first)
            found = self.fs.cat_ranges(wanted, None, None, on_error="return")
        except Exception as exc:  # each filesystem raises its own: say which and what
            raise StoreError(self.url, f"{type(exc).__name__}: {exc}") from exc
        contents = {}
        for path, data in zip(wanted, found, strict=True):
            if isinstance(data, FileNotFoundError):
                continue
            if isinstance(data, BaseException):
                raise StoreError(self.url, f"{path}: {type(data).__name__}: {data}") from data
            contents[path] = data
        return contents

    def put_once(self, path: str, data: bytes) -> bool:
        """Write ``path`` unless it exists; True when this call wrote it."""
        try:
            if self.local:
                return _link_once(Path(path), data)
            self.fs.pipe_file(path, data, mode="create")
            return True
        except FileExistsError:
            return False
        except Exception as exc:
            self.problems.append(f"{path}: {type(exc).__name__}: {exc}")
            return False

    def put(self, path: str, data: bytes) -> None:
        """Write ``path`` whole, replacing what was there."""
        try:
            if self.local:
                write_bytes(Path(path), data)
            else:
                self.fs.pipe_file(path, data)
        except Exception as exc:
            self.problems.append(f"{path}: {type(exc).__name__}: {exc}")


def _link_once(path: Path, data: bytes) -> bool:
    """Write ``path`` on a local disk unless it exists: a temporary file, hard-linked to it."""
    if path.exists():
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    write_bytes(tmp, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True
