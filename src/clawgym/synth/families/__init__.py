"""Procedural task families: parametric generators of verifiable Claw-style tasks, no LLM.

Each family draws an instruction (one of several phrasings, requirements in varied order), a
mock workspace, parameterised code checks and a reference solution from `random.Random` seeded
by `"<family>:<seed>"`, so the same family, seed, difficulty and knobs give a byte-identical
task. Tasks are ordinary native `Task`s (provenance route "family", generator = family name,
seed; difficulty and knobs in metadata), ids `fam-<family>-<seed>` (plus `-<difficulty>` when a
difficulty was forced, `-k<hash>` when knobs were overridden).

Checks: one `check.py` per family (identical in every task of the family), with the instance's
expected values in `checks/expected.json`; every check gives partial credit in [0, 1] and all
are gated on the output existing and being partly right, so an untouched workspace scores 0.

Train / held-out split (`split_of(task)`, `split_of_seed(family, seed)`):

- the families in `HELDOUT_FAMILIES` (batch_rename, access_log_report, invoice_due_dates) are
  held out at every seed: no train set ever contains them;
- for every other family, seeds >= `HELDOUT_SEED_START` (1_000_000) are held out, seeds below
  it are train.

So a model trained on the train split has seen neither the held-out families nor any held-out
seed of the others, and learning can be measured on both kinds of unseen task.
"""

from clawgym.synth.families._base import DIFFICULTIES, Built, Family
from clawgym.synth.families._registry import (
    HELDOUT_FAMILIES, HELDOUT_SEED_START, Split, describe, families, generate_task, generate_tasks, get_family,
    iter_tasks, plan, split_of, split_of_seed,
)

__all__ = ["DIFFICULTIES", "HELDOUT_FAMILIES", "HELDOUT_SEED_START", "Built", "Family", "Split", "describe",
           "families", "generate_task", "generate_tasks", "get_family", "iter_tasks", "plan", "split_of",
           "split_of_seed"]
