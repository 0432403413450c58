"""`bench run`: a benchmark's pinned tasks through the runs API, the run folder tagged with the
benchmark it ran."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clawgym.bench._manifest import Manifest

RUN_TAG = "benchmark_ref.json"


def run_benchmark(manifest: Manifest, tasks: list[Any], out: str | Path, *, agent: str = "llm",
                  model: str | None = None, samples: int = 1, concurrency: int = 2, progress: Any = None,
                  force: bool = False, **config: Any):
    """Check the tasks against the manifest's hashes (BenchmarkError on any mismatch), run
    them (new or resumed), tag the folder with the benchmark, and return the open RunStore."""
    from clawgym.runs import RunConfig, execute

    chosen = manifest.check(tasks)
    cfg = RunConfig(tasks=f"benchmark {manifest.ref}", task_ids=[t.id for t in chosen], agent=agent, model=model,
                    samples=samples, **config)
    out = Path(out)
    store = execute(chosen, cfg, out, concurrency=concurrency, progress=progress, force=force)
    (out / RUN_TAG).write_text(json.dumps({"benchmark": manifest.ref, "digest": manifest.digest()}) + "\n",
                               encoding="utf-8")
    return store


def run_tag(folder: str | Path) -> dict[str, Any] | None:
    """The benchmark a run folder ran ({benchmark, digest}), if it was a `bench run`."""
    p = Path(folder) / RUN_TAG
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
