"""How long a prose edit takes to show in `polybook serve`; print JSON.

For our book and for d2l-en (no execution), start `polybook serve` on a copy, then 20 times:
append a sentence to a page and time until the served page contains it. Targets: p95 under 1 s
on our book, under 2 s on d2l-en. Also: `polybook build html` after one such edit on d2l-en,
four frameworks (target under 5 s).

    python benchmarks/bench_serve.py [--corpus DIR] [--edits N] [--skip-corpus]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus" / "d2l-en"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def edits(book: Path, page: str, html: str, count: int, args: list[str]) -> dict[str, object]:
    """Start serve on ``book``, edit ``page`` ``count`` times, time each edit until served."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [POLYBOOK, "serve", "--source", str(book), "--port", "0", "--no-exec", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    url = ""
    for line in process.stdout:
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if match:
            url = match.group(1)
            break
    if not url:
        sys.exit("polybook serve did not start")
    startup = time.perf_counter() - started
    path = book / page
    times = []
    try:
        for index in range(count):
            sentence = f"Benchmark sentence number {index} was added here."
            text = path.read_text()
            begin = time.perf_counter()
            path.write_text(text.replace("\n\n", f"\n\n{sentence}\n\n", 1))
            while sentence not in fetch(f"{url}/{html}"):
                if time.perf_counter() - begin > 300:  # a rebuild that never comes: say so, not hang
                    status = fetch(f"{url}/_polybook/status")
                    sys.exit(f"edit {index} of {page} was not served within 300 s; status: {status}")
                time.sleep(0.02)
            times.append(time.perf_counter() - begin)
            time.sleep(0.3)  # a pause, as between an author's saves
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    times.sort()
    return {
        "edits": count,
        "seconds_p50": round(statistics.median(times), 3),
        "seconds_p95": round(times[max(0, int(len(times) * 0.95) - 1)], 3),
        "seconds_max": round(times[-1], 3),
        "startup_seconds": round(startup, 1),
    }


def copy_book(source: Path, target: Path, names: tuple[str, ...] | None = None) -> Path:
    if names is None:
        shutil.copytree(source, target)
        return target
    target.mkdir()
    for name in names:
        item = source / name
        if item.is_dir():
            shutil.copytree(item, target / name)
        elif item.is_file():
            shutil.copy(item, target / name)
    return target


def build_after_edit(book: Path, page: str) -> dict[str, float]:
    """`polybook build html` (four frameworks, no execution) cold, then after one sentence."""
    args = [POLYBOOK, "build", "html", "--source", str(book), "--no-exec", "--framework", "all", "-j", "2"]
    subprocess.run(args, check=True, capture_output=True)
    path = book / page
    path.write_text(path.read_text().replace("\n\n", "\n\nOne more sentence for the benchmark.\n\n", 1))
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    edited = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return {
        "seconds_after_one_sentence": round(edited, 2),
        "seconds_nothing_changed": round(time.perf_counter() - start, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--skip-corpus", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    result: dict[str, object] = {"benchmark": "polybook serve: a prose edit until the page shows it"}
    try:
        ours = copy_book(
            PROJECT, work / "book", ("conf.py", "chapters", "translations", "img", "d2l", "references.bib")
        )
        page = "chapters/chapter_preliminaries/tensors.md"
        result["our_book"] = {
            **edits(ours, page, "en/chapter_preliminaries/tensors.html", args.edits, ["--lang", "en"]),
            "target_seconds": 1.0,
        }
        if not args.skip_corpus:
            corpus = copy_book(args.corpus, work / "d2l-en")
            page = "chapter_preliminaries/ndarray.md"
            result["d2l_en"] = {
                **edits(corpus, page, "en/chapter_preliminaries/ndarray.html", args.edits, []),
                "target_seconds": 2.0,
            }
            result["d2l_en_build_html"] = {**build_after_edit(corpus, page), "target_seconds": 5.0}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
