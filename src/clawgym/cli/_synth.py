"""`clawgym synth ...`: make tasks. `synth families` draws procedural family tasks (no LLM)."""

from __future__ import annotations

import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from clawgym.cli._common import _fail, app, err, out

synth_app = typer.Typer(help="Synthesize tasks (procedural families: `synth families`).", no_args_is_help=True)
app.add_typer(synth_app, name="synth")


class SplitOpt(str, Enum):
    train = "train"
    heldout = "heldout"


class DifficultyOpt(str, Enum):
    mixed = "mixed"
    easy = "easy"
    medium = "medium"
    hard = "hard"


def _knobs(pairs: list[str]) -> dict[str, str]:
    knobs = {}
    for pair in pairs:
        if "=" not in pair:
            _fail(f"--knob expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        knobs[name.strip()] = value.strip()
    return knobs


@synth_app.command("families")
def synth_families(
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help=(
        "Folder of native task folders, or a .jsonl file."))] = None,
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="Number of tasks (round-robin over families).")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="First seed; task i of family f uses seed + i // #families.")] = 0,
    names: Annotated[Optional[str], typer.Option("--families", help="Comma-separated family names (default all).")] = None,
    split: Annotated[Optional[SplitOpt], typer.Option(help=(
        "train: only families not held out, seeds below 1,000,000; heldout: every family, seeds shifted to "
        ">= 1,000,000. Default: no filter (each task's split is in its metadata)."))] = None,
    difficulty: Annotated[DifficultyOpt, typer.Option(help="easy, medium, hard, or mixed (the seed picks).")] =
        DifficultyOpt.mixed,
    knob: Annotated[Optional[list[str]], typer.Option("--knob", help="Override a knob: NAME=VALUE (repeatable).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the families, their knobs and split, and exit.")] = False,
):
    """Draw procedural family tasks: instruction, workspace, checks and reference solution from a seed.

    Same arguments, byte-identical tasks. Writes native task folders, or JSONL when --out ends in .jsonl."""
    from clawgym.synth.families import describe, generate_tasks
    from clawgym.tasks import save_tasks

    if list_:
        table = Table("family", "category", "subcategory", "split", "knobs (easy / medium / hard)")
        for row in describe():
            knobs = ", ".join(f"{k} {'/'.join(str(v) for v in lv.values())}" for k, lv in row["knobs"].items())
            table.add_row(row["name"], row["category"], row["subcategory"], row["split"], knobs)
        out.print(table)
        return
    if out_path is None:
        _fail("--out is required (a folder, or a .jsonl file)")
    chosen = [x.strip() for x in names.split(",") if x.strip()] if names else None
    start = time.perf_counter()
    try:
        tasks = generate_tasks(n, seed, chosen, split.value if split else None,
                               None if difficulty == DifficultyOpt.mixed else difficulty.value, _knobs(knob or []) or None)
    except (KeyError, ValueError) as exc:
        _fail(str(exc.args[0]) if exc.args else str(exc))
    fmt = "jsonl" if out_path.suffix in (".jsonl", ".ndjson") else "native"
    try:
        save_tasks(tasks, out_path, fmt, overwrite=overwrite)
    except FileExistsError as exc:
        _fail(str(exc))
    per_family = Counter(t.provenance.generator for t in tasks)
    splits = Counter(t.metadata.get("split") for t in tasks)
    err.print(f"wrote {len(tasks)} task(s) from {len(per_family)} famil{'y' if len(per_family) == 1 else 'ies'} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(splits.items()))}) as {fmt} to {out_path} "
              f"in {time.perf_counter() - start:.2f}s", highlight=False)
