"""`clawgym synth families`: writes native folders or JSONL, deterministic, split and family filters."""

from __future__ import annotations

import subprocess
import sys

from clawgym.synth.families import HELDOUT_FAMILIES, split_of
from clawgym.tasks import load_tasks


def clawgym(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_families_to_folder_and_jsonl(tmp_path):
    clawgym("synth", "families", "--n", "30", "--seed", "5", "--out", tmp_path / "a")
    clawgym("synth", "families", "--n", "30", "--seed", "5", "--out", tmp_path / "b.jsonl")
    a, b = load_tasks(tmp_path / "a"), load_tasks(tmp_path / "b.jsonl")
    assert len(a) == 30 and [t.model_dump() for t in sorted(a, key=lambda t: t.id)] == \
        [t.model_dump() for t in sorted(b, key=lambda t: t.id)]
    clawgym("synth", "families", "--n", "30", "--seed", "5", "--out", tmp_path / "c")
    for t in a:  # byte-identical on disk
        for f in ("task.toml", "instruction.md", "checks/expected.json", "checks/check.py"):
            assert (tmp_path / "a" / t.id / f).read_bytes() == (tmp_path / "c" / t.id / f).read_bytes()
    r = clawgym("synth", "families", "--n", "3", "--out", tmp_path / "a", check=False)
    assert r.returncode == 1 and "--overwrite" in r.stderr


def test_split_families_difficulty_knob(tmp_path):
    clawgym("synth", "families", "--n", "20", "--split", "train", "--out", tmp_path / "train.jsonl")
    train = load_tasks(tmp_path / "train.jsonl")
    assert {split_of(t) for t in train} == {"train"}
    assert not {t.provenance.generator for t in train} & HELDOUT_FAMILIES
    clawgym("synth", "families", "--n", "20", "--split", "heldout", "--out", tmp_path / "held.jsonl")
    assert {split_of(t) for t in load_tasks(tmp_path / "held.jsonl")} == {"heldout"}
    clawgym("synth", "families", "--n", "4", "--families", "csv_group_summary,order_email", "--difficulty", "hard",
            "--knob", "rows=7", "--out", tmp_path / "few.jsonl", check=False)
    r = clawgym("synth", "families", "--n", "4", "--families", "csv_group_summary", "--difficulty", "hard",
                "--knob", "rows=7", "--out", tmp_path / "one.jsonl")
    one = load_tasks(tmp_path / "one.jsonl")
    assert {t.difficulty for t in one} == {"hard"} and {t.metadata["knobs"]["rows"] for t in one} == {7}
    assert "wrote 4 task(s)" in r.stderr
    r = clawgym("synth", "families", "--n", "2", "--families", "nope", "--out", tmp_path / "x.jsonl", check=False)
    assert r.returncode == 1 and "no family" in r.stderr
    r = clawgym("synth", "families", "--list")
    assert "cleanup_script" in r.stdout
