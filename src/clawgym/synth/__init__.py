"""Synthesis: making verifiable tasks. Procedural task families (no LLM) live in
`clawgym.synth.families`; their public API is re-exported here. The LLM routes share one
engine (structured calls with repair, a response cache, accounting, a resumable stage ledger);
the persona (top-down) route is `synthesize_personas`, the skill-grounded (bottom-up) route
`synthesize_skills`."""

from clawgym.synth.families import (
    HELDOUT_FAMILIES, HELDOUT_SEED_START, describe, families, generate_task, generate_tasks, get_family,
    iter_tasks, split_of, split_of_seed,
)
from clawgym.synth._cache import ResponseCache
from clawgym.dedup import NearDuplicateIndex, dedup  # the one MinHash dedup (bench selects with it too)
from clawgym.synth._engine import Pricing, Rejected, StageUsage, SynthEngine, extract_json
from clawgym.synth._inputs import (
    Category, OperationGroup, Persona, SynthInputError, TaskSpec, load_operations, load_personas, load_taxonomy,
    sample_specs,
)
from clawgym.synth._ledger import LedgerError, StageEvent, StageLedger
from clawgym.synth._persona import PersonaConfig, synthesize_personas
from clawgym.synth._pipeline import SynthConfigMismatch, SynthSummary
from clawgym.synth._redact import Redactor
from clawgym.synth._schemas import Caps, CheckScript, JudgeVote, RubricAnswer, TaskDraft
from clawgym.synth._skill_route import SkillSpec, SkillsConfig, SkillsSummary, annotate_skills, synthesize_skills
from clawgym.synth._skills import (
    Skill, SkillAnnotation, SkillCombo, SkillError, annotate_skill, compose, load_skills, parse_skill,
    shipped_skills_dir, similarity_matrix,
)

_ENGINE_API = ["Caps", "Category", "CheckScript", "JudgeVote", "LedgerError", "NearDuplicateIndex", "OperationGroup",
               "Persona", "PersonaConfig", "Pricing", "Redactor", "Rejected", "ResponseCache", "RubricAnswer",
               "StageEvent", "StageLedger", "StageUsage", "SynthConfigMismatch", "SynthEngine", "SynthInputError",
               "SynthSummary", "TaskDraft", "TaskSpec", "dedup", "extract_json", "load_operations", "load_personas",
               "load_taxonomy", "sample_specs", "synthesize_personas"]

__all__ = ["HELDOUT_FAMILIES", "HELDOUT_SEED_START", "describe", "families", "generate_task", "generate_tasks",
           "get_family", "iter_tasks", "split_of", "split_of_seed"]
__all__ += _ENGINE_API
__all__ += ["Skill", "SkillAnnotation", "SkillCombo", "SkillError", "SkillSpec", "SkillsConfig", "SkillsSummary",
            "annotate_skill", "annotate_skills", "compose", "load_skills", "parse_skill", "shipped_skills_dir",
            "similarity_matrix", "synthesize_skills"]
