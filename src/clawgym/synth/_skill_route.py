"""The skill-grounded (bottom-up) route: skill folders -> verified tasks that need the skills.

  annotate   rule-based (requires.bins/env, os, text, scripts) and optionally an LLM stage that can
             only add restrictions; skills the sandbox cannot serve are skipped with the reason
  compose    1-3 compatible skills per record, seeded, by TF-IDF similarity of descriptions
  sample     the record's skills (ledger), then the persona route's stages, changed only where
             skills matter:
  generate   the prompt shows every skill's SKILL.md and files; the reference solution must run
             the skills from `skills/<name>/` (schema check, repaired like any other)
  reference  run in a sandbox whose workspace holds the skills at `skills/<name>/`; then once more
             per skill with that skill removed: if the outputs come out the same, the task does
             not need the skill and the record is rejected (`skill_not_needed`)
  dedup, judge (one more flag: skill_not_needed), verifier with qa_task in the loop, rubric:
             the shared stage pipeline (`_pipeline.Pipeline`); this route supplies its `Route` hooks

Tasks carry the skills in `Task.skills`, their files in the workspace, and provenance route
`skills` with the generator, model, seed and prompt hash.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from clawgym.files import atomic_write
from clawgym.models import ChatModel, SamplingParams
from clawgym.sandbox import create_sandbox
from clawgym.synth._engine import Rejected
from clawgym.synth._inputs import derive_seed
from clawgym.synth._ledger import StageEvent
from clawgym.synth._persona import PersonaConfig
from clawgym.synth._pipeline import Pipeline, SynthSummary, run_route, task_from_draft
from clawgym.synth._prompts import GENERATE_SYSTEM, JUDGE_SYSTEM, judge_messages, packages_note
from clawgym.synth._redact import Redactor
from clawgym.synth._schemas import Caps, JudgeVote, TaskDraft
from clawgym.synth._skills import (
    LLMSkillAnnotation, Risk, Skill, SkillAnnotation, SkillCombo, annotate_skill, compose, load_skills,
    merge_annotation, shipped_skills_dir,
)
from clawgym.tasks import Task, TaskFile
from clawgym.verify import run_solution

GENERATOR = "clawgym.synth.skills/1"
SKILL_CATEGORY = "skill-grounded"


@dataclass
class SkillsConfig(PersonaConfig):
    """A skills-route run: PersonaConfig's engine and stage settings (its persona inputs unused)
    plus where the skills are and how they are annotated and composed."""

    skills_dir: Path | None = None
    skills_per_task: tuple[int, int] = (1, 3)
    min_similarity: float = 0.08
    allow_network: bool = False
    max_risk: Risk = "medium"
    llm_annotate: bool = False

    def fingerprint(self, model: ChatModel) -> dict[str, Any]:
        fp = super().fingerprint(model)
        for k in ("personas", "taxonomy", "operations", "ops_per_task", "allow_internet"):
            fp.pop(k, None)
        h = hashlib.sha256()
        for s in load_skills(self.skills_dir):
            for f in sorted(s.files, key=lambda f: f.path):
                h.update(f"{s.name}/{f.path}\0{int(f.executable)}\0".encode() + hashlib.sha256(f.data).digest())
        fp.update(generator=GENERATOR, skills=h.hexdigest()[:16], skills_per_task=list(self.skills_per_task),
                  min_similarity=self.min_similarity, allow_network=self.allow_network, max_risk=self.max_risk,
                  llm_annotate=self.llm_annotate)
        return fp


class SkillSpec(BaseModel):
    """What one record is asked to be: the composed skills (primary first) and its seed."""

    record_id: str
    index: int
    seed: int
    skills: list[str]
    similarity: float
    category: str = SKILL_CATEGORY
    subcategory: str
    persona: str | None = None


class SkillsSummary(SynthSummary):
    route: str = "skills"
    skills_total: int = 0
    skills_servable: int = 0
    skipped_skills: dict[str, str] = Field(default_factory=dict, description="Skill -> why the sandbox cannot serve it.")
    skills_used: dict[str, int] = Field(default_factory=dict, description="Finished tasks per skill.")


# -- prompts and schemas --------------------------------------------------------------------------
SKILL_GENERATE_SYSTEM = GENERATE_SYSTEM.replace(
    "You design one verifiable task for a personal AI agent",
    "You design one verifiable task that needs the skills installed in the workspace, for a personal AI agent", 1
).replace("Rules:\n", """Rules:
- The workspace already holds each listed skill at skills/<name>/ (SKILL.md, scripts, references): the agent \
can read and run them. Do NOT put anything under skills/ in input_files or output_files, and do not name files \
inside skills/ in the instruction (say what the user wants; the agent finds the skills).
- The task must genuinely need EVERY listed skill: its script or its documented conventions do real work that \
the result depends on. Your reference solution must run or read each skill from skills/<name>/ (it is run \
again with each skill removed, and must then fail or produce different outputs).
""", 1)
assert "skills/<name>/" in SKILL_GENERATE_SYSTEM and "needs the skills" in SKILL_GENERATE_SYSTEM

SKILL_JUDGE_SYSTEM = JUDGE_SYSTEM.replace(
    "- needs_internet:", "- skill_not_needed: the installed skills (shown) are not needed: the task is as easy "
                         "without them, or uses them only for a trivial step.\n- needs_internet:", 1
).replace('"needs_internet": bool,', '"needs_internet": bool, "skill_not_needed": bool,', 1)
assert "skill_not_needed" in SKILL_JUDGE_SYSTEM and '"skill_not_needed": bool' in SKILL_JUDGE_SYSTEM

ANNOTATE_SYSTEM = """You annotate one agent skill (a SKILL.md folder) so a pipeline can decide whether an \
offline sandbox (Linux, Python 3, no network, no credentials, text files only) can serve it.

Answer with ONE JSON object, no prose:
{"summary": str  // one sentence: what the skill does,
 "needs_auth": bool  // a real account, API key, token or login is needed,
 "needs_network": bool  // it must reach the Internet or a remote service,
 "text_only": bool  // false when it needs images, audio or video,
 "risk": "low" | "medium" | "high"  // harm if misused (deletes data, touches system files, sends messages),
 "reasons": [str]  // one per flag set or risk above low}"""


class SkillTaskDraft(TaskDraft):
    """TaskDraft, plus: nothing under skills/ is generated, and the reference uses every skill."""

    @model_validator(mode="after")
    def _uses_skills(self, info: ValidationInfo) -> "SkillTaskDraft":
        names = (info.context or {}).get("skills") or []
        problems = []
        clash = [p for p in [f.path for f in self.input_files] + self.output_files if p.split("/", 1)[0] == "skills"]
        if clash:
            problems.append(f"{', '.join(clash)} under skills/, which holds the installed skills: use other paths")
        unused = [n for n in names if f"skills/{n}/" not in self.solution.code]
        if unused:
            problems.append("the reference solution never uses " + ", ".join(f"skills/{n}/" for n in unused)
                            + ": it must run (or read) every listed skill from its folder")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SkillJudgeVote(JudgeVote):
    skill_not_needed: bool

    def flags(self) -> list[str]:
        return [*super().flags(), *(["skill_not_needed"] if self.skill_not_needed else [])]


def skill_generate_messages(spec: SkillSpec, skills: dict[str, Skill], caps: Caps,
                            packages: list[str] | None = None) -> list[dict[str, Any]]:
    listing = "\n\n".join(skills[n].listing() for n in spec.skills)
    user = (f"Skills installed in the workspace (the task must need all {len(spec.skills)}): "
            f"{', '.join(spec.skills)}\n\n{listing}\n\nDesign the task.")
    return [{"role": "system", "content": SKILL_GENERATE_SYSTEM.format(max_files=caps.max_files,
                                                                       max_file_bytes=caps.max_file_bytes,
                                                                       packages=packages_note(packages))},
            {"role": "user", "content": user}]


def skill_judge_messages(spec: SkillSpec, skills: dict[str, Skill], draft: dict[str, Any],
                         outputs: dict[str, str] | None = None) -> list[dict[str, Any]]:
    msgs = judge_messages(draft, outputs)
    about = "\n".join(f"- skills/{n}/: {skills[n].description}" for n in spec.skills)
    return [{"role": "system", "content": SKILL_JUDGE_SYSTEM},
            {"role": "user", "content": msgs[1]["content"] + f"\n\nSkills installed in the workspace:\n{about}"}]


# -- the route ------------------------------------------------------------------------------------
class SkillsRoute:
    """The skills route's hooks: prompts that show the skills, tasks that install them, and a
    reference check that each skill is needed (the solution run again without it)."""

    name = "skills"
    generator = GENERATOR

    def __init__(self, config: SkillsConfig, skills: dict[str, Skill]):
        self.cfg = config
        self.skills = skills

    def metadata(self, spec: SkillSpec) -> dict[str, Any]:
        return {"skills": spec.skills, "skill_similarity": spec.similarity}

    def generate_request(self, spec: SkillSpec,
                         packages: list[str]) -> tuple[list[dict[str, Any]], type[TaskDraft], dict[str, Any]]:
        return (skill_generate_messages(spec, self.skills, self.cfg.caps, packages), SkillTaskDraft,
                {"caps": self.cfg.caps, "skills": spec.skills, "packages": packages})

    def skill_files(self, names: list[str]) -> list[TaskFile]:
        return [TaskFile(path=f"skills/{n}/{f.path}", data=f.data, executable=f.executable)
                for n in names for f in self.skills[n].files]

    def task_of(self, spec: SkillSpec, draft: dict[str, Any], check_py: str | None = None,
                rubric: dict[str, Any] | None = None, *, without: str | None = None) -> Task:
        task = task_from_draft(f"skills-{self.cfg.seed}-{spec.record_id}", draft, category=spec.category,
                               subcategory=spec.subcategory, persona=None, check_py=check_py, rubric=rubric)
        installed = self.skill_files([n for n in spec.skills if n != without])
        return Task(**{**dict(task), "skills": list(spec.skills), "workspace": [*task.workspace, *installed]})

    def after_reference(self, run: Pipeline[Any], spec: SkillSpec, draft: dict[str, Any],
                        outputs: dict[str, str]) -> dict[str, Any]:
        """Ablation: the reference solution once more per skill, that skill removed; the same
        outputs mean the task does not need the skill."""
        cap = self.cfg.caps.max_file_bytes
        ablation = {}
        for name in spec.skills:
            task = self.task_of(spec, draft, without=name)
            with run.sandbox_slots:
                with create_sandbox(self.cfg.backend, files=task.workspace, mount_path=task.mount_path) as sb:
                    res = run_solution(task, sb)
                    sb.kill_all()
                    files = sb.export_files() if res is not None and res.ok else {}
            same = res is not None and res.ok and all(
                p in files and files[p][:cap].decode("utf-8", "replace") == outputs[p] for p in outputs)
            ablation[name] = "same outputs" if same else ("failed" if not (res and res.ok) else "different outputs")
            if same:
                raise Rejected("reference", f"without skills/{name}/ the reference solution writes the same outputs: "
                                            "the task does not need that skill", detail={"ablation": ablation},
                               kind="skill_not_needed")
        return {"ablation": ablation}

    def judge_request(self, spec: SkillSpec, draft: dict[str, Any],
                      outputs: dict[str, str]) -> tuple[list[dict[str, Any]], type[JudgeVote]]:
        return skill_judge_messages(spec, self.skills, draft, outputs), SkillJudgeVote


def annotate_skills(skills: list[Skill], config: SkillsConfig,
                    run: Pipeline[SkillSpec] | None = None) -> list[SkillAnnotation]:
    """Rule-based annotation of every skill; with `llm_annotate`, each skill the rules let through
    is also annotated by the model (cached like every call), which can only add restrictions."""
    out = []
    for s in skills:
        a = annotate_skill(s, allow_network=config.allow_network, max_risk=config.max_risk)
        if a.servable and config.llm_annotate and run is not None:
            msgs = [{"role": "system", "content": ANNOTATE_SYSTEM},
                    {"role": "user", "content": f"Skill: {s.name}\n\n{s.listing(12_000)}"}]
            try:
                ans = run.engine.structured("annotate", msgs, LLMSkillAnnotation,
                                            params=SamplingParams(temperature=0.0,
                                                                  seed=derive_seed(config.seed, "annotate", s.name)))
                a = merge_annotation(a, ans.value, allow_network=config.allow_network, max_risk=config.max_risk)
            except Rejected as r:
                a.reasons.append(f"llm annotation unusable ({r.reason}); rules alone decided")
        out.append(a)
    return out


def skill_specs(combos: list[SkillCombo], seed: int) -> list[SkillSpec]:
    return [SkillSpec(record_id=f"{c.index:05d}", index=c.index, seed=derive_seed(seed, "record", c.index),
                      skills=c.skills, similarity=c.similarity, subcategory=c.skills[0]) for c in combos]


def synthesize_skills(model: ChatModel, config: SkillsConfig, *, redactor: Redactor | None = None,
                      on_event: Callable[[StageEvent], None] | None = None) -> SkillsSummary:
    """Run (or resume) the skills route into `config.out`; returns the summary it also writes.
    Writes `annotations.jsonl` (every skill, servable or not, and why) beside the tasks."""
    start = time.monotonic()
    redactor = redactor or Redactor()
    skills = load_skills(config.skills_dir)
    run = Pipeline(model, config, SkillsRoute(config, {s.name: s for s in skills}), redactor, on_event)
    try:
        annotations = annotate_skills(skills, config, run)
    except BaseException:
        run.close()
        raise
    servable = [s for s, a in zip(skills, annotations) if a.servable]
    out = Path(config.out)
    atomic_write(out / "annotations.jsonl",
                  "".join(redactor.text(a.model_dump_json()) + "\n" for a in annotations))
    try:
        combos = compose(servable, config.n, seed=config.seed, per_task=config.skills_per_task,
                         min_similarity=config.min_similarity)
    except BaseException:
        run.close()
        raise
    specs = skill_specs(combos, config.seed)
    summary = run_route(run, specs, start)
    from clawgym.tasks import load_tasks

    used: dict[str, int] = {}
    if summary.output and summary.finished:
        for t in load_tasks(summary.output):
            for n in t.skills:
                used[n] = used.get(n, 0) + 1
    full = SkillsSummary(**{**summary.model_dump(), "route": "skills"}, skills_total=len(skills),
                         skills_servable=len(servable),
                         skipped_skills={a.name: a.skip_reason or "" for a in annotations if not a.servable},
                         skills_used=dict(sorted(used.items())))
    full.seconds = round(time.monotonic() - start, 3)
    atomic_write(out / "summary.json", redactor.text(full.model_dump_json(indent=2)) + "\n")
    return full


__all__ = ["SkillSpec", "SkillsConfig", "SkillsSummary", "annotate_skills", "shipped_skills_dir",
           "synthesize_skills"]
