"""Time `polybook build html`; print JSON.

1. d2l-en (../shared/corpus/d2l-en), all four frameworks, no execution: a cold build and a
   rebuild with nothing changed. d2lbook needs ~82 s for ONE framework (3 s notebooks + 35 s rst
   + 44 s html) and ~18 s for a no-op rebuild on this machine. Targets: four frameworks in at most
   82 s; a no-op rebuild under 2 s.
2. Our book with its translations (a copy, so the project is not touched), executed: cold,
   no-op (target under 5 s for its four languages), and after a prose edit to one page (which
   must re-render without executing anything).

    python benchmarks/bench_site.py [--corpus DIR] [--skip-book]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus" / "d2l-en"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([POLYBOOK, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"polybook {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def corpus(root: Path, work: Path) -> dict[str, object]:
    out = work / "d2l"
    args = ("build", "html", "--source", str(root), "--no-exec", "--framework", "all", "--out", str(out))
    cold, _ = timed(*args)
    memory = peak_mib()
    noop, log = timed(*args)
    return {
        "pages": len(list((out / "site" / "en").rglob("*.ipynb"))),
        "frameworks": 4,
        "seconds_cold": round(cold, 2),
        "seconds_noop_rebuild": round(noop, 2),
        "noop_ran_sphinx": "Sphinx not needed" not in log,
        "peak_memory_mib": memory,
        "target_seconds": 82.0,
        "target_noop_seconds": 2.0,
        "d2lbook_seconds_one_framework": 82.0,
        "d2lbook_noop_seconds": 18.0,
    }


def own_book(work: Path) -> dict[str, object]:
    book = work / "book"
    book.mkdir()
    for name in ("conf.py", "chapters", "translations", "img", "d2l", "references.bib"):
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, book / name)
        elif source.is_file():
            shutil.copy(source, book / name)
    args = ("build", "html", "--source", str(book), "-j", "2")
    cold, _ = timed(*args)
    noop, _ = timed(*args)
    page = next((book / "chapters").rglob("*scratch*.md"), next((book / "chapters").rglob("*.md")))
    page.write_text(page.read_text().replace("\n\n", "\n\nA sentence added by the benchmark.\n\n", 1))
    edited, _ = timed(*args)
    report = json.loads((book / "_build" / "reports" / "eval.json").read_text())
    return {
        "seconds_cold_with_execution": round(cold, 2),
        "seconds_noop_rebuild": round(noop, 2),
        "target_noop_seconds": 5.0,  # four languages, three of them read from their pair files
        "seconds_after_prose_edit": round(edited, 2),
        "edited_page": str(page.relative_to(book)),
        "executed_after_prose_edit": report["summary"]["executed"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--skip-book", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    try:
        result: dict[str, object] = {
            "benchmark": "polybook build html",
            "d2l_en_no_exec": corpus(args.corpus, work),
        }
        if not args.skip_book:
            result["our_book"] = own_book(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
