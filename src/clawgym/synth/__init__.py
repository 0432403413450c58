"""Synthesis: making verifiable tasks. Procedural task families (no LLM) live in
`clawgym.synth.families`; their public API is re-exported here."""

from clawgym.synth.families import (
    HELDOUT_FAMILIES, HELDOUT_SEED_START, describe, families, generate_task, generate_tasks, get_family,
    iter_tasks, split_of, split_of_seed,
)

__all__ = ["HELDOUT_FAMILIES", "HELDOUT_SEED_START", "describe", "families", "generate_task", "generate_tasks",
           "get_family", "iter_tasks", "split_of", "split_of_seed"]
