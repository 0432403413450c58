"""`bench run`: a benchmark's pinned tasks through the runs API, the run folder tagged with the
benchmark it ran and the tasks it skipped (with why)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from clawgym.bench._manifest import BenchmarkError, Manifest

RUN_TAG = "benchmark_ref.json"


def unmet_needs(task: Any, available: Iterable[str] = ()) -> dict[str, str]:
    """What `task` needs (its `metadata.requires`, with `metadata.requires_why`) that is not in
    `available`: {need: why}. Empty when it can run."""
    have = set(available)
    why = task.metadata.get("requires_why") or {}
    return {n: str(why.get(n, "the task says it needs it")) for n in task.metadata.get("requires") or []
            if n not in have}


def run_benchmark(manifest: Manifest, tasks: list[Any], out: str | Path, *, agent: str = "llm",
                  model: str | None = None, samples: int = 1, concurrency: int = 2, progress: Any = None,
                  force: bool = False, allow: Iterable[str] = (), **config: Any):
    """Check the tasks against the manifest's hashes (BenchmarkError on any mismatch), run
    them (new or resumed), tag the folder with the benchmark, and return the open RunStore.

    A task that needs what this run lacks (`metadata.requires`: the internet, image generation,
    a skill registry, several sessions, a judge) is not run: the tag lists it with the reason, so
    reports show it as skipped, never as a 0. `allow` names needs to treat as met; a judge is met
    by `judge_model`."""
    from clawgym.runs import RunConfig, execute

    chosen = manifest.check(tasks)
    available = set(allow) | ({"judge"} if config.get("judge_model") else set())
    skipped = {t.id: unmet for t in chosen if (unmet := unmet_needs(t, available))}
    runnable = [t for t in chosen if t.id not in skipped]
    if not runnable:
        raise BenchmarkError(f"every task of {manifest.ref} needs something this run lacks ("
                             + "; ".join(sorted({n for u in skipped.values() for n in u}))
                             + "): give --judge MODEL, or --allow NEED where your sandbox provides it")
    cfg = RunConfig(tasks=f"benchmark {manifest.ref}", task_ids=[t.id for t in runnable], agent=agent, model=model,
                    samples=samples, **config)
    out = Path(out)
    store = execute(runnable, cfg, out, concurrency=concurrency, progress=progress, force=force)
    tag: dict[str, Any] = {"benchmark": manifest.ref, "digest": manifest.digest()}
    if skipped:
        tag["skipped"] = skipped
    (out / RUN_TAG).write_text(json.dumps(tag) + "\n", encoding="utf-8")
    return store


def run_tag(folder: str | Path) -> dict[str, Any] | None:
    """The benchmark a run folder ran ({benchmark, digest}), if it was a `bench run`."""
    p = Path(folder) / RUN_TAG
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
