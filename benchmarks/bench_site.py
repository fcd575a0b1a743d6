"""Time `polybook build html` (and the d2l-en PDF); print JSON.

1. d2l-en (../shared/corpus/d2l-en, copied so it can be edited), all four frameworks, no
   execution: a cold build, a rebuild with nothing changed, a rebuild after one sentence added
   to one page, and the peak memory of the whole process tree (Sphinx's workers included).
   d2lbook 1.0.3 needs ~154 s cold for ONE framework and ~16 s for a no-op rebuild on a 2-core
   machine. Targets: four frameworks cold in at most 80 s; a one-sentence edit in at most 5 s;
   nothing changed in at most 1 s; at most 1 GiB of memory.
2. With ``--pdf``: the PDF of d2l-en (English, PyTorch) through XeLaTeX: seconds, pages.
3. Our book with its translations (a copy, so the project is not touched), executed: cold,
   no-op (target under 5 s for its four languages), and after a prose edit to one page (which
   must re-render without executing anything).

    python benchmarks/bench_site.py [--corpus DIR] [--skip-book] [--pdf] [-j N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus" / "d2l-en"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))
EDITED = "chapter_preliminaries/ndarray.md"
SENTENCE = "A sentence added by the benchmark."


def timed(*args: str) -> tuple[float, str, float]:
    """Run polybook; its wall time, its output and the peak memory (MiB) of its process tree."""
    peak = 0
    start = time.perf_counter()
    child = subprocess.Popen([POLYBOOK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:  # the tree's resident memory, summed, five times a second
        nonlocal peak
        root = psutil.Process(child.pid)
        while not done.wait(0.2):
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        sys.exit(f"polybook {' '.join(args)} failed:\n{stdout}\n{stderr}")
    return seconds, stdout, round(peak / 2**20, 1)


def corpus(source: Path, work: Path, jobs: int) -> dict[str, object]:
    root = work / "d2l-en"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("_build"))
    out = work / "d2l"
    args = ("build", "html", "--source", str(root), "--no-exec", "--framework", "all", "--out", str(out))
    args += ("-j", str(jobs))
    cold, _, memory = timed(*args)
    noop, log, _ = timed(*args)
    page = root / EDITED
    text = page.read_text(encoding="utf-8")
    first = "In order to get anything done"  # the page's first sentence
    assert first in text, f"{page}: the benchmark's edit needs the sentence {first!r}"
    page.write_text(text.replace(first, f"{SENTENCE} {first}", 1), encoding="utf-8")
    edited, _, edit_memory = timed(*args)
    html = (out / "html" / "en" / EDITED.replace(".md", ".html")).read_text(encoding="utf-8")
    return {
        "pages": len(list((out / "html" / "en").rglob("*.html"))),
        "frameworks": 4,
        "jobs": jobs,
        "seconds_cold": round(cold, 2),
        "seconds_noop_rebuild": round(noop, 2),
        "noop_ran_sphinx": "Sphinx not needed" not in log,
        "seconds_one_sentence_edit": round(edited, 2),
        "edit_shown": SENTENCE in html,
        "peak_memory_mib": max(memory, edit_memory),
        "target_seconds_cold": 80.0,
        "target_seconds_edit": 5.0,
        "target_seconds_noop": 1.0,
        "target_peak_memory_mib": 1024.0,
        "d2lbook_seconds_cold_one_framework": 154.0,
        "d2lbook_seconds_noop": 16.0,
    }


def pdf(source: Path, work: Path, jobs: int) -> dict[str, object]:
    root = work / "d2l-en-pdf"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("_build"))
    out = work / "pdf"
    args = ("build", "pdf", "--source", str(root), "--no-exec", "--framework", "pytorch", "--lang", "en")
    seconds, _, memory = timed(*args, "--out", str(out), "-j", str(jobs))
    made = next((out / "pdf" / "en").glob("*.pdf"))
    info = subprocess.run(["pdfinfo", str(made)], capture_output=True, text=True, check=True).stdout
    log = next((out / "latex" / "en-pytorch").glob("*.log")).read_text(encoding="utf-8", errors="replace")
    return {
        "seconds": round(seconds, 2),
        "pages": int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)),  # type: ignore[union-attr]
        "megabytes": round(made.stat().st_size / 1e6, 1),
        "latex_errors": len(re.findall(r"^! ", log, re.M)),
        "peak_memory_mib": memory,
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
    cold, _, _ = timed(*args)
    noop, _, _ = timed(*args)
    page = next((book / "chapters").rglob("*scratch*.md"), next((book / "chapters").rglob("*.md")))
    page.write_text(page.read_text().replace("\n\n", "\n\nA sentence added by the benchmark.\n\n", 1))
    edited, _, _ = timed(*args)
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
    parser.add_argument("--pdf", action="store_true", help="also the d2l-en PDF (English, PyTorch)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the books and sites built (says where)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    try:
        result: dict[str, object] = {
            "benchmark": "polybook build html",
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "d2l_en_no_exec": corpus(args.corpus, work, args.jobs),
        }
        if args.pdf:
            result["d2l_en_pdf"] = pdf(args.corpus, work, args.jobs)
        if not args.skip_book:
            result["our_book"] = own_book(work)
    finally:
        if args.keep:
            print(f"kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
