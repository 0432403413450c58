"""The persona (top-down) route: persona + subcategory + atomic operations -> a verified task.

The route samples a seeded, stratified spec per record (persona, category, subcategory,
operations; `clawgym.synth._inputs`) and supplies the `Route` hooks of the shared stage pipeline
(`clawgym.synth._pipeline`, which documents the stages, the ledger and resume): the generate and
judge prompts, how a draft becomes a task, and the task metadata naming the persona and operations.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from clawgym.models import ChatModel
from clawgym.synth._engine import Pricing
from clawgym.synth._inputs import TaskSpec, load_operations, load_personas, load_taxonomy, sample_specs
from clawgym.synth._ledger import StageEvent
from clawgym.synth._pipeline import Pipeline, SynthSummary, run_route, task_from_draft
from clawgym.synth._prompts import generate_messages, judge_messages
from clawgym.synth._redact import Redactor
from clawgym.synth._schemas import Caps, JudgeVote, TaskDraft
from clawgym.tasks import Task

GENERATOR = "clawgym.synth.persona/1"


@dataclass
class PersonaConfig:
    """Everything a persona-route run depends on. `n` may grow between runs of one folder (the
    first records stay the same); changing anything else needs a new folder (or `force`)."""

    out: Path
    n: int = 10
    seed: int = 0
    personas: Path | None = None
    taxonomy: Path | None = None
    operations: Path | None = None
    ops_per_task: tuple[int, int] = (2, 3)
    allow_internet: bool = False
    concurrency: int = 4
    sandbox_concurrency: int = 2
    max_repairs: int = 2
    temperature: float | None = 0.8
    judge_votes: int = 3
    judge_temperature: float | None = 0.7
    qa_rounds: int = 3
    rubric: bool = True
    dedup: bool = True
    dedup_threshold: float = 0.7
    dedup_against: list[Path] = field(default_factory=list)
    caps: Caps = field(default_factory=Caps)
    backend: str = "bwrap"
    format: Literal["native", "jsonl"] = "native"
    export_clawgym: bool = False
    packages: list[str] | None = None  # what solutions may use; None: the COMMON_PACKAGES the sandbox has
    pricing: Pricing = field(default_factory=Pricing)
    cache: Path | None = None
    model_timeout_s: float | None = None
    force: bool = False

    def fingerprint(self, model: ChatModel) -> dict[str, Any]:
        """What decides the records' content (not n, concurrency, output format or pricing)."""
        def digest(p: Path | None) -> str | None:
            return hashlib.sha256(Path(p).read_bytes()).hexdigest()[:16] if p else None

        return {"generator": GENERATOR, "model": model.config().get("name"), "seed": self.seed,
                "personas": digest(self.personas), "taxonomy": digest(self.taxonomy),
                "operations": digest(self.operations), "ops_per_task": list(self.ops_per_task),
                "allow_internet": self.allow_internet, "max_repairs": self.max_repairs,
                "temperature": self.temperature, "judge_votes": self.judge_votes,
                "judge_temperature": self.judge_temperature, "qa_rounds": self.qa_rounds, "rubric": self.rubric,
                "dedup": self.dedup, "dedup_threshold": self.dedup_threshold,
                "dedup_against": [str(p) for p in self.dedup_against], "caps": self.caps.model_dump(),
                "backend": self.backend, "packages": self.packages}


class PersonaRoute:
    """The persona route's hooks: prompts from the sampled spec, tasks that name the persona."""

    name = "persona"
    generator = GENERATOR

    def __init__(self, config: PersonaConfig):
        self.cfg = config

    def generate_request(self, spec: TaskSpec,
                         packages: list[str]) -> tuple[list[dict[str, Any]], type[TaskDraft], dict[str, Any]]:
        return (generate_messages(spec, self.cfg.caps, packages), TaskDraft,
                {"caps": self.cfg.caps, "packages": packages})

    def task_of(self, spec: TaskSpec, draft: dict[str, Any], check_py: str | None = None,
                rubric: dict[str, Any] | None = None) -> Task:
        return task_from_draft(f"persona-{self.cfg.seed}-{spec.record_id}", draft, category=spec.category,
                               subcategory=spec.subcategory, persona=spec.persona, check_py=check_py, rubric=rubric)

    def after_reference(self, run: Pipeline[Any], spec: TaskSpec, draft: dict[str, Any],
                        outputs: dict[str, str]) -> dict[str, Any]:
        return {}

    def judge_request(self, spec: TaskSpec, draft: dict[str, Any],
                      outputs: dict[str, str]) -> tuple[list[dict[str, Any]], type[JudgeVote]]:
        return judge_messages(draft, outputs), JudgeVote

    def metadata(self, spec: TaskSpec) -> dict[str, Any]:
        return {"persona_id": spec.persona_id, "operations": spec.operations}


def synthesize_personas(model: ChatModel, config: PersonaConfig, *, redactor: Redactor | None = None,
                        on_event: Callable[[StageEvent], None] | None = None,
                        on_start: Callable[[str, str], None] | None = None) -> SynthSummary:
    """Run (or resume) the persona route into `config.out`; returns the summary it also writes.
    `on_event` gets each stage's outcome, `on_start` (record id, stage) each stage as it starts."""
    start = time.monotonic()
    redactor = redactor or Redactor()
    personas = load_personas(config.personas)
    taxonomy = load_taxonomy(config.taxonomy)
    operations = load_operations(config.operations)
    specs = sample_specs(personas, taxonomy, operations, config.n, seed=config.seed,
                         ops_per_task=config.ops_per_task, allow_internet=config.allow_internet)
    run = Pipeline(model, config, PersonaRoute(config), redactor, on_event)
    run.on_start = on_start
    return run_route(run, specs, start)

