"""The files a notebook's cells see: a scratch copy of the book and its library, per notebook.

d2lbook runs each notebook in its chapter's folder, so cells read ``../img/cat.jpg`` and
download into ``../data``; d2l-en relies on it. polybook does the same in a scratch copy: what a
notebook writes never lands in the book, and no notebook sees what another one wrote (its
outputs depend on its cache key alone). The copies come from a *bundle*: a tar archive of the
book's files (what git tracks or would track; outside git, the folder less its hidden, build
and environment folders) and of the ``d2l`` package the kernels import, named by the hash of
its bytes. The planning machine writes it once per run; a cluster worker receives its bytes once
per run and keeps them in the same place (:func:`scratch_root`), so every job finds it by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import PolybookError
from ..fsutil import write_bytes

#: Folders of a book that are never copied (outside git, which knows what the book ignores).
SKIPPED = {"_build", "envs", "__pycache__", "node_modules"}
#: Bundles unused for this long are removed (a run touches the one it uses).
KEPT_SECONDS = 2 * 24 * 3600


class MissingBundle(PolybookError):
    """A job names a bundle this machine does not have."""

    def __init__(self, digest: str, where: Path) -> None:
        super().__init__(digest, where)
        self.digest, self.where = digest, where

    def __str__(self) -> str:
        return f"the bundle {self.digest} of this run is not in {self.where}"


def scratch_root() -> Path:
    """Where this machine keeps bundles and scratch copies: ``$POLYBOOK_SCRATCH``, else a
    folder of the user's in the temporary folder."""
    if os.environ.get("POLYBOOK_SCRATCH"):
        return Path(os.environ["POLYBOOK_SCRATCH"])
    return Path(tempfile.gettempdir()) / f"polybook-{os.getuid()}"


def _git_files(root: Path) -> list[str] | None:
    """The files git tracks or would track under ``root``, relative to it; None outside git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [name for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def _walked_files(root: Path) -> list[str]:
    names = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and d not in SKIPPED and not (here / d / "pyvenv.cfg").exists()
        ]
        names += [(here / f).relative_to(root).as_posix() for f in files if not f.startswith(".")]
    return names


def book_files(root: Path, skip: Iterable[Path] = ()) -> list[str]:
    """The book's files under ``root`` as relative names, sorted; ``skip`` folders left out."""
    skipped = [p.resolve() for p in skip]
    names = _git_files(root)
    if names is None:
        names = _walked_files(root)
    kept = []
    for name in sorted(set(names)):
        path = root / name
        if path.is_file() and not any(path.resolve().is_relative_to(s) for s in skipped):
            kept.append(name)
    return kept


def _add(archive: tarfile.TarFile, name: str, data: bytes, executable: bool) -> None:
    # the same files make the same bytes, hence the same digest: no times, no owners
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o755 if executable else 0o644
    archive.addfile(info, io.BytesIO(data))


def pack(root: Path, library: Path, skip: Iterable[Path] = ()) -> bytes:
    """The bundle of a book: ``book/`` (its files) and ``python/d2l/`` (from ``library/d2l``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in book_files(root, skip):
            path = root / name
            _add(archive, f"book/{name}", path.read_bytes(), os.access(path, os.X_OK))
        package = library / "d2l"
        for path in sorted(package.glob("*.py")) if package.is_dir() else []:
            _add(archive, f"python/d2l/{path.name}", path.read_bytes(), False)
    return buffer.getvalue()


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def _path(digest: str) -> Path:
    return scratch_root() / "bundles" / f"{digest}.tar"


def keep(data: bytes) -> str:
    """Keep a bundle on this machine (once: its name is its hash); return its digest."""
    digest = digest_of(data)
    path = _path(digest)
    if not path.is_file():
        write_bytes(path, data)
    with contextlib.suppress(OSError):
        os.utime(path)  # in use: not pruned
    return digest


def publish(root: Path, library: Path, skip: Iterable[Path] = ()) -> str:
    """Pack the book, keep its bundle on this machine, prune old ones; return its digest."""
    prune()
    return keep(pack(root, library, skip))


def bundle_bytes(digest: str) -> bytes:
    path = _path(digest)
    if not path.is_file():
        raise MissingBundle(digest, path.parent)
    return path.read_bytes()


def has(digest: str) -> bool:
    return _path(digest).is_file()


@contextlib.contextmanager
def scratch(digest: str) -> Iterator[Path]:
    """A fresh copy of bundle ``digest`` (``book/``, ``python/``), removed after the block.

    :raises MissingBundle: when this machine does not have it.
    """
    path = _path(digest)
    if not path.is_file():
        raise MissingBundle(digest, path.parent)
    # named after this process: a folder whose process is gone is a leftover (see prune)
    folder = scratch_root() / "runs" / f"{os.getpid()}-{secrets.token_hex(6)}"
    folder.mkdir(parents=True)
    try:
        with tarfile.open(path) as archive:
            archive.extractall(folder, filter="data")
        (folder / "book").mkdir(exist_ok=True)
        (folder / "python").mkdir(exist_ok=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def prune() -> None:
    """Remove the scratch copies of processes that died, and bundles unused for days."""
    runs = scratch_root() / "runs"
    for folder in runs.iterdir() if runs.is_dir() else []:
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    bundles = scratch_root() / "bundles"
    now = time.time()
    for path in bundles.glob("*.tar") if bundles.is_dir() else []:
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > KEPT_SECONDS:
                path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
