"""The shared cache store on a local disk (file://) and on a real S3 API (moto's server, started
here on a free port): entries written once and whole however many write at once, the local
cache filled on read, and two evals on one store leaving whole entries that a fresh output
folder reuses without starting a kernel."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polybook.execution.cache import Cache, components
from polybook.execution.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
POLYBOOK = str(Path(sys.executable).with_name("polybook"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """moto's S3 server on a free port, a bucket ``books`` in it; yields the environment that
    points boto (hence s3fs) at it, and sets it in this process for the duration."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "polybook-test",
        "AWS_SECRET_ACCESS_KEY": "polybook-test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        import boto3

        boto3.client("s3").create_bucket(Bucket="books")
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def race(store: Store, path: str, contents: list[bytes]) -> list[bool]:
    """Every content written to ``path`` at once, one thread each; who wrote it."""
    barrier = threading.Barrier(len(contents))
    wrote = [False] * len(contents)

    def write(index: int) -> None:
        barrier.wait()
        wrote[index] = store.put_once(path, contents[index])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(contents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wrote


NOTEBOOKS = st.lists(st.binary(min_size=1, max_size=200_000), min_size=2, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=NOTEBOOKS)
def test_a_file_store_entry_is_whole_and_written_once(tmp_path: Path, contents: list[bytes]) -> None:
    store = Store(f"file://{tmp_path}/store-{os.urandom(4).hex()}")
    path = store.entry("pytorch", "k" * 32)
    wrote = race(store, path, contents)
    assert wrote.count(True) == 1
    assert Path(path).read_bytes() == contents[wrote.index(True)]
    assert [p.name for p in Path(path).parent.iterdir()] == [Path(path).name]  # no temporary left


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=NOTEBOOKS)
def test_an_s3_store_entry_is_whole_and_written_once(s3: dict[str, str], contents: list[bytes]) -> None:
    store = Store(f"s3://books/race-{os.urandom(4).hex()}")
    path = store.entry("pytorch", "k" * 32)
    wrote = race(store, path, contents)
    assert wrote.count(True) == 1, store.problems
    assert store.read([path]) == {path: contents[wrote.index(True)]}
    assert store.fs.ls(path.rsplit("/", 1)[0]) == [path]


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_the_local_cache_is_filled_on_read(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    url = f"file://{tmp_path}/store" if kind == "file" else f"s3://books/fill-{os.urandom(4).hex()}"
    if kind == "s3":
        request.getfixturevalue("s3")
    comps = components([("print(1)", "a.md:3")], "env", {}, {})
    writer = Cache(tmp_path / "first", Store(url))
    writer.store("pytorch", "chapter/a", comps, '{"cells": []}', 1.5, 12.0)
    reader = Cache(tmp_path / "second", Store(url))
    assert not reader.has("pytorch", comps.key)
    assert reader.fetch("pytorch", [comps.key, "0" * 32]) == {comps.key}
    assert reader.entry("pytorch", comps.key).read_text() == '{"cells": []}'
    reader.fetch_records([("pytorch", "chapter/a")])
    record = reader.record("pytorch", "chapter/a")
    assert record is not None and (record.key, record.seconds) == (comps.key, 1.5)
    assert reader.shared is not None and reader.shared.problems == []


def test_two_evals_on_one_s3_store_leave_whole_entries_that_a_fresh_out_reuses(
    tmp_path: Path, s3: dict[str, str]
) -> None:
    env = {**os.environ, **s3}
    url = "s3://books/shared-cache"
    clients = []
    for name in ("alice", "bob"):  # two clones of one book, on two "machines"
        root = tmp_path / name
        shutil.copytree(FIXTURES / "evalbook", root)
        options = ["--framework", "pytorch", "-j", "2", "--cache", url]
        command = [POLYBOOK, "eval", "--source", str(root), *options]
        clients.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    for client in clients:
        out, err = client.communicate(timeout=600)
        assert client.returncode == 0, out + err
        assert "write(s) to the shared cache" not in err
    store = Store(url)
    entries = store.fs.find(store.root + "/entries")
    assert len(entries) == 4  # one per notebook with code, however many wrote it
    for path in entries:
        nb = json.loads(store.fs.cat(path))
        assert all("outputs" in c for c in nb["cells"] if c["cell_type"] == "code")
    assert len(store.fs.find(store.root + "/records")) == 4

    fresh = tmp_path / "fresh"
    done = subprocess.run(
        [
            POLYBOOK,
            "eval",
            "--source",
            str(tmp_path / "alice"),
            "--out",
            str(fresh),
            "--framework",
            "pytorch",
        ],
        env={**env, "POLYBOOK_CACHE": url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((fresh / "reports" / "eval.json").read_text())
    assert report["summary"]["executed"] == 0
    assert {r["reason"] for r in report["notebooks"] if r["status"] == "cached"} >= {
        "cached from the shared store"
    }
    assert f"4 from {url}" in done.stdout
    nb = json.loads((fresh / "executed" / "pytorch" / "chapter_a" / "uses_double.ipynb").read_text())
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "42\n"
    assert not (fresh / "reports" / "kernels").exists()  # no kernel was started
