"""The registry of families, the train/held-out split, and dataset generation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from clawgym.synth.families._base import DIFFICULTIES, Family, make_task
from clawgym.tasks import Task

Split = Literal["train", "heldout"]

#: Families no training set contains, at any seed.
HELDOUT_FAMILIES = frozenset({"batch_rename", "access_log_report", "invoice_due_dates"})
#: Seeds from here on are held out for every family.
HELDOUT_SEED_START = 1_000_000


def _all() -> dict[str, Family]:
    from clawgym.synth.families import _automation, _code, _comms, _config, _data, _files, _planning
    from clawgym.synth.families import _organising, _professional, _reasoning, _refactor, _retrieval, _writing

    fams: dict[str, Family] = {}
    for mod in (_files, _data, _config, _code, _planning, _comms, _automation,
                _writing, _retrieval, _reasoning, _organising, _professional, _refactor):
        for f in mod.FAMILIES:
            if f.name in fams:
                raise RuntimeError(f"two families named {f.name!r}")
            fams[f.name] = f
    return fams


_FAMILIES: dict[str, Family] = _all()


def families() -> dict[str, Family]:
    """Every family by name, in a stable order."""
    return dict(_FAMILIES)


def get_family(name: str) -> Family:
    fams = families()
    if name not in fams:
        raise KeyError(f"no family {name!r}; families: {', '.join(fams)}")
    return fams[name]


def split_of_seed(family: str, seed: int) -> Split:
    """The split rule: held-out families are held out at every seed; every other family's seeds
    >= HELDOUT_SEED_START are held out, the rest are train."""
    return "heldout" if family in HELDOUT_FAMILIES or seed >= HELDOUT_SEED_START else "train"


def split_of(task: Task) -> Split | None:
    """The split of a family task (from its provenance), None for a task of another route."""
    p = task.provenance
    if p.route != "family" or p.generator is None or p.seed is None:
        return None
    return split_of_seed(p.generator, p.seed)


def generate_task(family: str, seed: int, difficulty: str | None = None,
                  knobs: dict[str, Any] | None = None) -> Task:
    """One task: `fam-<family>-<seed>` (plus `-<difficulty>` when forced, `-k<hash>` with knobs)."""
    return make_task(get_family(family), seed, difficulty, knobs, split=split_of_seed(family, seed))


def plan(n: int, seed: int = 0, names: Sequence[str] | None = None, split: Split | None = None) -> list[tuple[str, int]]:
    """(family, seed) for n tasks: round-robin over the families, seeds counting up from `seed`.

    split="train" uses only families that are not held out and refuses seeds that reach the
    held-out range; split="heldout" uses every family (or those named) and shifts the seeds into
    the held-out range (seed + HELDOUT_SEED_START when seed is below it)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    chosen = list(names) if names else list(families())
    for name in chosen:
        get_family(name)
    if split == "train":
        held = [c for c in chosen if c in HELDOUT_FAMILIES]
        if names and held:
            raise ValueError(f"families {', '.join(held)} are held out and never in the train split")
        chosen = [c for c in chosen if c not in HELDOUT_FAMILIES]
        last = seed + (n - 1) // max(1, len(chosen)) if n else seed
        if last >= HELDOUT_SEED_START:
            raise ValueError(f"train seeds must stay below {HELDOUT_SEED_START}; seed {seed} with n={n} reaches {last}")
    elif split == "heldout":
        if seed < HELDOUT_SEED_START:
            seed += HELDOUT_SEED_START
    elif split is not None:
        raise ValueError(f"split must be train or heldout, got {split!r}")
    if not chosen:
        raise ValueError("no families to draw from")
    return [(chosen[i % len(chosen)], seed + i // len(chosen)) for i in range(n)]


def iter_tasks(n: int, seed: int = 0, names: Sequence[str] | None = None, split: Split | None = None,
               difficulty: str | None = None, knobs: dict[str, Any] | None = None) -> Iterator[Task]:
    for name, s in plan(n, seed, names, split):
        yield generate_task(name, s, difficulty, knobs)


def generate_tasks(n: int, seed: int = 0, names: Sequence[str] | None = None, split: Split | None = None,
                   difficulty: str | None = None, knobs: dict[str, Any] | None = None) -> list[Task]:
    """n tasks, deterministic in every argument (see `plan` for the order)."""
    return list(iter_tasks(n, seed, names, split, difficulty, knobs))


def describe() -> list[dict[str, Any]]:
    """One row per family: name, category, subcategory, split, knobs (easy/medium/hard)."""
    return [{"name": f.name, "category": f.category, "subcategory": f.subcategory,
             "split": "heldout" if f.name in HELDOUT_FAMILIES else "train (seeds < %d)" % HELDOUT_SEED_START,
             "knobs": {k: dict(zip(DIFFICULTIES, v)) for k, v in f.knobs.items()}, "description": f.description}
            for f in families().values()]


__all__ = ["HELDOUT_FAMILIES", "HELDOUT_SEED_START", "Split", "describe", "families", "generate_task",
           "generate_tasks", "get_family", "iter_tasks", "plan", "split_of", "split_of_seed"]
