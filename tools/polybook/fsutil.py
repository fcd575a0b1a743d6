"""Files: written atomically with the usual permissions, and read as UTF-8 with a located error.

A reader sees a file's old content or its new content, never half of one: every write goes to a
temporary file in the same folder and is renamed over the target. The temporary file is made
with the mode a plain ``open()`` would give (``0666`` less the umask), not ``mkstemp``'s 0600,
so a site, a PDF or the library written by polybook is readable by others as usual.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from .errors import EncodingError

BOM = "\ufeff"


def _umask() -> int:
    """The process's umask, read without changing it (Linux keeps it in /proc); a umask query
    by setting it would race with threads creating files at that moment."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    :returns: False when the file already held exactly ``data`` (it is then left untouched, so
        its modification time keeps telling when its content last changed).
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def write_text(path: Path, text: str) -> bool:
    """:func:`write_bytes` of ``text`` in UTF-8."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> bool:
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def copy_file(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` atomically (the copy is whole or absent)."""
    return write_bytes(target, source.read_bytes())


def _lines(text: str) -> str:
    """Text as every reader here takes it: no byte-order mark, lines ended by ``\\n`` (a file
    saved on Windows, or checked out with git's ``core.autocrlf``, ends them ``\\r\\n``)."""
    text = text.removeprefix(BOM)
    return text.replace("\r\n", "\n") if "\r" in text else text


def decode(data: bytes, path: Path | str) -> str:
    """``data`` as UTF-8 text without a leading byte-order mark, with ``\\n`` line ends.

    :raises EncodingError: naming the first byte that is not UTF-8, and its line.
    """
    try:
        return _lines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(str(path), exc.start, line) from exc


def decode_foreign(data: bytes, path: Path | str) -> tuple[str, str]:
    """Text made elsewhere (an old translation to import): UTF-8 when it is, else the encoding
    it was most likely written in, and that encoding's name (``utf-8`` when it is UTF-8).

    Old translations come in the encodings of their time (EUC-KR, GB18030, Shift JIS…); the
    guess is charset-normalizer's, which decodes every byte or gives no answer.

    :raises EncodingError: when no encoding reads it (a binary file).
    """
    try:
        return decode(data, path), "utf-8"
    except EncodingError as exc:
        from charset_normalizer import from_bytes  # only imports of files made elsewhere need it

        # a short page tells less: a second look tolerates more oddities before giving up; a
        # text without a byte-order mark is never taken for UTF-16 or UTF-32 (binary bytes are)
        wide = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
        found = (
            from_bytes(data, cp_exclusion=wide).best()
            or from_bytes(data, threshold=0.5, cp_exclusion=wide).best()
        )
        if found is None or any(ch < " " and ch not in "\n\r\t\f" for ch in str(found)):
            raise exc
        return _lines(str(found)), found.encoding


def read_source(path: Path) -> str:
    """A file a person wrote (a page, a pair file, a configuration), as text.

    :raises EncodingError: when it is not UTF-8.
    """
    return decode(path.read_bytes(), path)
