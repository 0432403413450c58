"""The one copy of each shared helper: whole-or-nothing writes, a folder's one writer, the
Wilson interval and the MinHash near-duplicate finder."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from pathlib import Path

import pytest

from clawgym.dedup import NearDuplicateIndex, dedup, near_pairs, shingles
from clawgym.files import FolderLock, FolderLocked, atomic_dir, atomic_write, open_atomic
from clawgym.stats import wilson

REPO = Path(__file__).resolve().parents[1]


def test_atomic_write_is_whole_or_absent(tmp_path):
    dest = tmp_path / "sub" / "out.json"
    assert atomic_write(dest, "one") == dest and dest.read_text() == "one"
    atomic_write(dest, b"two", fsync=True)
    assert dest.read_bytes() == b"two"
    with pytest.raises(RuntimeError), open_atomic(dest) as fh:
        fh.write("half of thr")
        raise RuntimeError("the writer died")
    assert dest.read_text() == "two"  # the old file, untouched
    assert sorted(p.name for p in dest.parent.iterdir()) == ["out.json"]  # no temporary left behind
    with pytest.raises(ValueError, match="mode"), open_atomic(dest, "a"):
        pass


def test_atomic_dir_replaces_a_folder_only_on_success(tmp_path):
    dest = tmp_path / "ds"
    with atomic_dir(dest) as tmp:
        (tmp / "a").write_text("1")
    assert (dest / "a").read_text() == "1"
    with pytest.raises(FileExistsError, match="overwrite"), atomic_dir(dest):
        pass
    with pytest.raises(RuntimeError), atomic_dir(dest, overwrite=True) as tmp:
        (tmp / "b").write_text("2")
        raise RuntimeError("failed half-way")
    assert sorted(p.name for p in dest.iterdir()) == ["a"]
    with atomic_dir(dest, overwrite=True) as tmp:
        (tmp / "b").write_text("2")
    assert sorted(p.name for p in dest.iterdir()) == ["b"] and sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_a_folder_has_one_writer_across_processes(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from clawgym.files import FolderLock\n"
         f"lock = FolderLock({str(tmp_path)!r}, 'x.lock').acquire(); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": str(REPO / "src")})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderLocked) as caught:
            FolderLock(tmp_path, "x.lock").acquire()
        assert caught.value.pid == holder.pid and f"process {holder.pid}" in str(caught.value)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with FolderLock(tmp_path, "x.lock") as lock:  # the holder is gone: the kernel dropped its lock
        assert lock.held
    assert not lock.held


def test_wilson_matches_the_formula_at_the_edges():
    lo, hi = wilson(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10)[0] == 0.0 and round(wilson(0, 10)[1], 4) == 0.2775
    assert wilson(10, 10)[1] == 1.0 and round(wilson(10, 10)[0], 4) == 0.7225
    assert wilson(0, 0) == (0.0, 1.0)
    from clawgym.bench import wilson as bench_wilson
    from clawgym.train import _demo

    assert bench_wilson is wilson and _demo.wilson is wilson  # one copy, two old names


def test_near_pairs_are_exactly_the_pairs_at_or_above_the_threshold():
    rng = random.Random(3)
    vocab = [f"w{i}".encode() for i in range(400)]
    base = [set(rng.sample(vocab, 60)) for _ in range(30)]
    sets = base + [set(list(s)[:-k]) | {b"x%d" % k} for k, s in zip(range(1, 16), base)]  # close variants
    for threshold in (0.8, 0.9):
        exact = [(i, j) for i, j in itertools.combinations(range(len(sets)), 2)
                 if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold]
        found = near_pairs(sets, threshold)
        assert [(i, j) for i, j, _ in found] == exact and exact  # none missed, none extra
        assert all(jac >= threshold for _, _, jac in found)
    assert len(near_pairs(sets, 0.9)) < len(near_pairs(sets, 0.8))  # the threshold is the caller's


def test_synthesis_and_selection_share_one_shingling():
    assert shingles("Read the CSV, then write out/a.json") == {b"read the csv", b"the csv then", b"csv then write",
                                                               b"then write out/a.json"}
    text = "Please read input/sales.csv and compute the total revenue per region, sorted by total descending."
    assert dedup([("a", text), ("b", text.replace("descending", "ascending"))], threshold=0.5) == {"a": None, "b": "a"}
    assert dedup([("a", text), ("b", text.replace("descending", "ascending"))], threshold=0.95) == \
        {"a": None, "b": None}
    idx = NearDuplicateIndex(0.7)
    assert idx.check("a", text) is None and idx.check("b", text) == "a"
