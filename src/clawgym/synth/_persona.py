"""The persona (top-down) route: persona + subcategory + atomic operations -> a verified task.

Stages, per record (each verdict appended to the ledger before the next stage starts):

  sample     the seeded, stratified spec (persona, category, subcategory, operations)
  generate   instruction, workspace, reference solution (TaskDraft; schema repairs)
  reference  the reference solution run in a sandbox: exits 0 and writes every output file
  dedup      MinHash LSH near-duplicate removal across the batch (and earlier data sets)
  judge      k judges that see the instruction, the input files AND the reference solution's outputs
             (a wrong reference must not become ground truth); majority per issue
  verifier   check.py, run only in verification sandboxes, must pass every `qa_task` probe, the
             cheating ones included (the other records' answers are the route's universal answers);
             QA failures are fed back for at most `qa_rounds` repair rounds
  rubric     ClawGym's llm_rubric for subjective outputs, or skipped (the task keeps code checks)

The output (task folders or JSONL, a ClawGym export, summary.json, rejections.jsonl) is rebuilt
from the ledger alone, so a run killed at any point and resumed writes exactly what an
uninterrupted run writes.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.dedup import NearDuplicateIndex
from clawgym.errors import ClawGymError
from clawgym.files import atomic_write
from clawgym.models import ChatModel, ModelError, SamplingParams
from clawgym.sandbox import create_sandbox
from clawgym.synth._cache import ResponseCache
from clawgym.synth._engine import Pricing, Rejected, StageUsage, SynthEngine
from clawgym.synth._inputs import (
    TaskSpec, derive_seed, load_operations, load_personas, load_taxonomy, sample_specs,
)
from clawgym.synth._ledger import StageEvent, StageLedger
from clawgym.synth._prompts import (
    generate_messages, judge_messages, qa_feedback, rubric_messages, verifier_messages,
)
from clawgym.synth._redact import Redactor
from clawgym.synth._schemas import (
    Caps, CheckScript, JudgeVote, RubricAnswer, TaskDraft, is_pattern, matching, parse_check,
)
from clawgym.tasks import Provenance, Rubric, Task, TaskFile, load_tasks, save_tasks
from clawgym.verify import ReferenceDiff, qa_task, reference_outputs, run_solution

STAGES = ("sample", "generate", "reference", "dedup", "judge", "verifier", "rubric")
GENERATOR = "clawgym.synth.persona/1"
# Common packages a task may declare for its solution (pip name -> import name), offered to the
# generator when the sandbox's python3 can import them.
COMMON_PACKAGES = {"pyyaml": "yaml", "python-dateutil": "dateutil", "openpyxl": "openpyxl", "python-docx": "docx",
                   "pillow": "PIL", "beautifulsoup4": "bs4", "lxml": "lxml", "markdown": "markdown",
                   "jinja2": "jinja2", "tabulate": "tabulate", "numpy": "numpy", "pandas": "pandas"}


def sandbox_packages(backend: str, candidates: dict[str, str] | None = None) -> list[str]:
    """The candidates (pip names) that python3 in a sandbox of this backend can import."""
    candidates = COMMON_PACKAGES if candidates is None else candidates
    code = ("import importlib.util, json, sys\n"
            "print(json.dumps([n for n in sys.argv[1:] if importlib.util.find_spec(n) is not None]))")
    with create_sandbox(backend) as sb:
        r = sb.exec(["python3", "-c", code, *candidates.values()], timeout_s=60)
    try:
        found = set(json.loads(r.stdout)) if r.exit_code == 0 else set()
    except json.JSONDecodeError:
        found = set()
    return sorted(pip for pip, module in candidates.items() if module in found)


class SynthConfigMismatch(ClawGymError):
    pass


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


class StageSummary(BaseModel):
    entered: int = 0
    kept: int = 0
    rejected: int = 0
    skipped: int = 0
    reasons: dict[str, int] = Field(default_factory=dict, description="Rejections (and skips) by kind.")
    usage: StageUsage = Field(default_factory=StageUsage)
    cost_usd: float = 0.0


class SynthSummary(BaseModel):
    """What each stage kept and why it dropped the rest; spend per stage (from the ledger, so a
    resumed run counts the first run's tokens once) and this session's cache hits."""

    route: str = "persona"
    requested: int
    finished: int
    pending: list[str] = Field(default_factory=list, description="Records stopped by model errors; run again.")
    errors: list[str] = Field(default_factory=list)
    stages: dict[str, StageSummary] = Field(default_factory=dict)
    session: dict[str, StageUsage] = Field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    output: str | None = None
    clawgym_export: str | None = None


class _Run:
    """One route's run over the shared stages; a route subclasses it to change how a record is
    generated and judged and what its tasks carry (the skills route does)."""

    ROUTE = "persona"
    GENERATOR = GENERATOR
    # (record id, stage) as a stage starts: progress for a caller waiting on a slow model
    on_start: Callable[[str, str], None] | None = None

    def __init__(self, model: ChatModel, config: PersonaConfig, redactor: Redactor,
                 on_event: Callable[[StageEvent], None] | None):
        self.cfg = config
        self.redactor = redactor
        self.on_event = on_event
        out = Path(config.out)
        self.ledger = StageLedger(out, redactor=redactor)
        try:
            self.cache = ResponseCache(config.cache or out / "cache.sqlite")
        except BaseException:
            self.ledger.close()
            raise
        self.engine = SynthEngine(model, cache=self.cache, concurrency=config.concurrency,
                                  max_repairs=config.max_repairs, pricing=config.pricing, redactor=redactor,
                                  timeout_s=config.model_timeout_s)
        self.model = model
        self.sandbox_slots = threading.BoundedSemaphore(max(1, config.sandbox_concurrency))
        self.done: dict[str, dict[str, StageEvent]] = {}
        self.lock = threading.Lock()
        self.reference_files: dict[str, dict[str, bytes]] = {}  # record -> the reference stage's workspace
        self.errors: dict[str, str] = {}
        self._packages: list[str] | None = config.packages

    @property
    def packages(self) -> list[str]:
        """The common packages a task may declare for its solution (looked up once per run)."""
        with self.lock:
            if self._packages is None:
                self._packages = sandbox_packages(self.cfg.backend)
            return list(self._packages)

    def close(self) -> None:
        self.cache.close()
        self.ledger.close()

    # -- ledger helpers ---------------------------------------------------------------------------
    def _record(self, ev: StageEvent) -> StageEvent:
        ev = self.ledger.append(ev)
        with self.lock:
            self.done.setdefault(ev.record_id, {})[ev.stage] = ev
        if self.on_event:
            self.on_event(ev)
        return ev

    def stage(self, spec: TaskSpec, name: str, fn: Callable[[StageUsage], tuple[str, str | None, dict]]) -> StageEvent:
        """Run one stage unless the ledger already holds its verdict."""
        with self.lock:
            have = self.done.get(spec.record_id, {}).get(name)
        if have is not None:
            return have
        if self.on_start:
            self.on_start(spec.record_id, name)
        usage = StageUsage()
        start = time.monotonic()
        try:
            verdict, reason, payload = fn(usage)
        except Rejected as r:
            verdict, reason = "rejected", r.reason
            payload = {"kind": r.kind, **({"detail": r.detail} if r.detail is not None else {})}
        usage.seconds = round(time.monotonic() - start, 6)
        return self._record(StageEvent(record_id=spec.record_id, stage=name, verdict=verdict, reason=reason,
                                       payload=payload, usage=usage.model_dump()))

    def params(self, spec: TaskSpec, temperature: float | None, *parts: Any) -> SamplingParams:
        return SamplingParams(temperature=temperature, seed=derive_seed(spec.seed, *parts))

    # -- stages ------------------------------------------------------------------------------------
    def generate(self, spec: TaskSpec, usage: StageUsage):
        offered = self.packages
        ans = self.engine.structured("generate", generate_messages(spec, self.cfg.caps, offered), TaskDraft,
                                     params=self.params(spec, self.cfg.temperature, "generate"), usage=usage,
                                     context={"caps": self.cfg.caps, "packages": offered})
        return "ok", None, {"draft": ans.value.model_dump(), "prompt_hash": ans.prompt_hash, "repairs": ans.repairs}

    def task_of(self, spec: TaskSpec, draft: dict[str, Any], check_py: str | None = None,
                rubric: dict[str, Any] | None = None) -> Task:
        sol = draft["solution"]
        entry = "solve.sh" if sol["language"] == "bash" else "solve.py"
        return Task(id=f"persona-{self.cfg.seed}-{spec.record_id}", instruction=draft["instruction"],
                    title=draft["title"], category=spec.category, subcategory=spec.subcategory,
                    persona=spec.persona,
                    workspace=[TaskFile(path=f["path"], data=f["content"].encode()) for f in draft["input_files"]],
                    solution=[TaskFile(path=entry, data=sol["code"].encode())],
                    checks=[TaskFile(path="check.py", data=check_py.encode())] if check_py else [],
                    rubric=Rubric.model_validate(rubric) if rubric else None)

    def reference(self, spec: TaskSpec, draft: dict[str, Any], usage: StageUsage):
        task = self.task_of(spec, draft)
        with self.sandbox_slots:
            with create_sandbox(self.cfg.backend, files=task.workspace, mount_path=task.mount_path) as sb:
                res = run_solution(task, sb)
                sb.kill_all()
                files = sb.export_files() if res is not None and res.ok else {}
        if files:  # the verifier stage's QA derives every probe from this one run
            with self.lock:
                self.reference_files[spec.record_id] = files
        if res is None or not res.ok:
            why = "timed out" if res and res.timed_out else f"exited {res.exit_code if res else '?'}"
            tail = (res.stderr if res else "").strip()[-600:]
            raise Rejected("reference", f"the reference solution {why}" + (f": {tail}" if tail else ""),
                           kind="solution_failed")
        initial = {f.path: f.data for f in task.workspace}
        changed = [p for p, d in files.items() if initial.get(p) != d]
        written: list[str] = []  # every output file, a per-record pattern standing for the files it matches
        missing, unchanged = [], []
        for entry in draft["output_files"]:
            if is_pattern(entry):
                hits = matching(entry, changed)
                missing += [] if hits else [f"any file matching {entry}"]
                written += hits
            elif entry not in files:
                missing.append(entry)
            elif initial.get(entry) == files[entry]:
                unchanged.append(entry)
            else:
                written.append(entry)
        written = sorted(set(written))
        empty = [p for p in written if not files[p].strip()]
        if missing or unchanged or empty:
            parts = ([f"did not write {', '.join(missing)}"] if missing else []) + \
                    ([f"left {', '.join(unchanged)} unchanged"] if unchanged else []) + \
                    ([f"wrote {', '.join(empty)} empty"] if empty else [])
            raise Rejected("reference", "the reference solution " + "; ".join(parts), kind="missing_output")
        cap = self.cfg.caps.max_file_bytes
        outputs = {p: files[p][:cap].decode("utf-8", "replace") for p in written}
        return "ok", None, {"outputs": outputs}

    def judge_request(self, spec: TaskSpec, draft: dict[str, Any],
                      outputs: dict[str, str]) -> tuple[list[dict[str, Any]], type[JudgeVote]]:
        return judge_messages(draft, outputs), JudgeVote

    def route_metadata(self, spec: TaskSpec) -> dict[str, Any]:
        return {"persona_id": spec.persona_id, "operations": spec.operations}

    def judge(self, spec: TaskSpec, draft: dict[str, Any], outputs: dict[str, str], usage: StageUsage):
        """k judges that see the instruction, the inputs and the reference outputs (a wrong
        reference must not become ground truth); majority per issue."""
        votes: list[dict[str, Any]] = []
        messages, schema = self.judge_request(spec, draft, outputs)
        for v in range(self.cfg.judge_votes):
            try:
                ans = self.engine.structured("judge", messages, schema, usage=usage,
                                             params=self.params(spec, self.cfg.judge_temperature, "judge", v))
                votes.append({**ans.value.model_dump(), "flags": ans.value.flags()})
            except Rejected as r:
                votes.append({"invalid": r.reason})
        valid = [v for v in votes if "invalid" not in v]
        if not valid:
            raise Rejected("judge", "no judge gave a valid verdict: " + votes[-1]["invalid"], detail={"votes": votes},
                           kind="no_verdict")
        counts = Counter(f for v in valid for f in v["flags"])
        flagged = sorted(f for f, c in counts.items() if c * 2 > len(valid))
        if flagged:
            reasons = "; ".join(dict.fromkeys(v["reason"] for v in valid if set(v["flags"]) & set(flagged)))
            raise Rejected("judge", f"{', '.join(flagged)} ({max(counts[f] for f in flagged)}/{len(valid)} votes): "
                           f"{reasons}", detail={"votes": votes}, kind=flagged[0])
        return "ok", None, {"votes": votes}

    def family_answers(self, spec: TaskSpec) -> list[ReferenceDiff]:
        """What the reference solutions of the run's other records wrote (those past dedup): the
        'one answer for every task of the route' QA tries on this record."""
        with self.lock:
            done = {rid: dict(st) for rid, st in self.done.items() if rid != spec.record_id}
        out = []
        for rid in sorted(done):
            ref, dd = done[rid].get("reference"), done[rid].get("dedup")
            if ref is not None and ref.verdict == "ok" and dd is not None and dd.verdict == "ok":
                out.append(ReferenceDiff(task_id=rid, written={p: c.encode() for p, c in ref.payload["outputs"].items()}))
        return out

    def verifier(self, spec: TaskSpec, draft: dict[str, Any], outputs: dict[str, str], usage: StageUsage):
        """check.py, repaired until it passes every QA probe; the reference solution runs once and
        every probe workspace of every round derives from its output."""
        convo = verifier_messages(draft, outputs)
        public = "\n".join([draft["instruction"], *(f["content"] for f in draft["input_files"])])
        rounds: list[dict[str, Any]] = []
        first_hash = None
        with self.lock:
            reference, why = self.reference_files.pop(spec.record_id, None), None
        if reference is None:  # the reference stage ran in an earlier run (resumed): run it again here
            with self.sandbox_slots:
                reference, why = reference_outputs(self.task_of(spec, draft), self.cfg.backend)
        others = self.family_answers(spec)
        for rnd in range(self.cfg.qa_rounds + 1):
            ans = self.engine.structured("verifier", convo, CheckScript, parse=parse_check, usage=usage,
                                         params=self.params(spec, self.cfg.temperature, "verifier"),
                                         context={"reference_outputs": outputs, "public": public})
            first_hash = first_hash or ans.prompt_hash
            task = self.task_of(spec, draft, ans.value.check_py)
            with self.sandbox_slots:
                qa = qa_task(task, backend=self.cfg.backend, reference=reference,
                             reference_error=why if reference is None else None, others=others, sanity_first=True)
            failures = {k: c.detail for k, c in qa.checks.items() if c.status == "fail"}
            rounds.append({"passed": qa.passed, "checks": {k: c.status for k, c in qa.checks.items()}})
            if qa.passed:
                return "ok", None, {"check_py": ans.value.check_py, "qa_rounds": rounds, "prompt_hash": first_hash}
            if rnd < self.cfg.qa_rounds:
                usage.repairs += 1
                convo = [*ans.messages, {"role": "user", "content": qa_feedback(failures)}]
        worst = ", ".join(f"{k}: {json.dumps(v, default=str)[:200]}" for k, v in failures.items())
        raise Rejected("verifier", f"check.py still fails QA after {self.cfg.qa_rounds} repair rounds ({worst})",
                       detail={"qa_rounds": rounds}, kind="qa:" + "+".join(sorted(failures)))

    def rubric(self, spec: TaskSpec, draft: dict[str, Any], check_py: str, usage: StageUsage):
        if not self.cfg.rubric:
            return "skipped", "rubrics disabled", {"kind": "disabled"}
        # a rubric rule reads one file: per-record patterns stand for the files the reference wrote
        ref = self._ok(spec, "reference")
        written = sorted(ref.payload["outputs"]) if ref is not None else []
        files = list(dict.fromkeys([*(p for p in draft["output_files"] if not is_pattern(p)), *written]))
        try:
            ans = self.engine.structured("rubric", rubric_messages({**draft, "output_files": files}, check_py),
                                         RubricAnswer, usage=usage,
                                         params=self.params(spec, self.cfg.temperature, "rubric"),
                                         context={"outputs": files})
        except Rejected as r:
            return "skipped", f"no usable rubric ({r.reason}); the task keeps its code checks", {"kind": "invalid"}
        if ans.value.skip_rubric:
            return "skipped", ans.value.reason or "nothing subjective to judge", {"kind": "not_needed",
                                                                                  "prompt_hash": ans.prompt_hash}
        rubric = ans.value.model_dump(exclude={"skip_rubric", "reason"})
        return "ok", None, {"rubric": rubric, "prompt_hash": ans.prompt_hash}

    # -- flow ------------------------------------------------------------------------------------
    def _ok(self, spec: TaskSpec, name: str) -> StageEvent | None:
        ev = self.done.get(spec.record_id, {}).get(name)
        return ev if ev is not None and ev.verdict == "ok" else None

    def phase_a(self, spec: TaskSpec) -> None:
        gen = self.stage(spec, "generate", lambda u: self.generate(spec, u))
        if gen.verdict != "ok":
            return
        self.stage(spec, "reference", lambda u: self.reference(spec, gen.payload["draft"], u))

    def phase_c(self, spec: TaskSpec) -> None:
        draft = self._ok(spec, "generate").payload["draft"]
        outputs = self._ok(spec, "reference").payload["outputs"]
        if self.stage(spec, "judge", lambda u: self.judge(spec, draft, outputs, u)).verdict != "ok":
            return
        ver = self.stage(spec, "verifier", lambda u: self.verifier(spec, draft, outputs, u))
        if ver.verdict != "ok":
            return
        self.stage(spec, "rubric", lambda u: self.rubric(spec, draft, ver.payload["check_py"], u))

    def guarded(self, fn: Callable[[TaskSpec], None], spec: TaskSpec) -> None:
        try:
            fn(spec)
        except ModelError as exc:  # the infrastructure's fault: nothing recorded, a resume retries
            self.errors[spec.record_id] = self.redactor.text(f"model error: {exc}")
        except ClawGymError as exc:
            self.errors[spec.record_id] = self.redactor.text(f"{type(exc).__name__}: {exc}")

    def pool(self, fn: Callable[[TaskSpec], None], specs: list[TaskSpec]) -> None:
        workers = self.cfg.concurrency + self.cfg.sandbox_concurrency
        if not specs:
            return
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(specs)))) as ex:
            list(ex.map(lambda s: self.guarded(fn, s), specs))

    def dedup(self, specs: list[TaskSpec]) -> None:
        """One batch verdict per record that passed `reference`, in record order; the records
        already kept by an earlier dedup (and `dedup_against`) are indexed first."""
        todo = [s for s in specs if self._ok(s, "reference") and "dedup" not in self.done.get(s.record_id, {})]
        if not todo:
            return
        if not self.cfg.dedup:
            self.ledger.append_many([StageEvent(record_id=s.record_id, stage="dedup", verdict="skipped",
                                                reason="dedup disabled", payload={"kind": "disabled"}) for s in todo])
        else:
            index = NearDuplicateIndex(self.cfg.dedup_threshold)
            for src in self.cfg.dedup_against:
                for t in load_tasks(src):
                    index.check(f"external:{t.id}", dedup_text(t.title, t.instruction))
            kept = sorted((ev.seq, rid) for rid, st in self.done.items()
                          if (ev := st.get("dedup")) is not None and ev.verdict == "ok")
            by_id = {s.record_id: s for s in specs}
            for _, rid in kept:
                d = self.done[rid]["generate"].payload["draft"]
                index.check(rid, dedup_text(d["title"], d["instruction"]))
            events = []
            for s in todo:
                d = self._ok(s, "generate").payload["draft"]
                dup = index.check(s.record_id, dedup_text(d["title"], d["instruction"]))
                if dup is None:
                    events.append(StageEvent(record_id=s.record_id, stage="dedup", verdict="ok"))
                else:
                    other = by_id.get(dup)
                    where = f"record {dup}" + (f" ({other.category})" if other else "")
                    events.append(StageEvent(record_id=s.record_id, stage="dedup", verdict="rejected",
                                             reason=f"near-duplicate of {where} (MinHash Jaccard >= "
                                                    f"{self.cfg.dedup_threshold})",
                                             payload={"kind": "duplicate", "duplicate_of": dup}))
            self.ledger.append_many(events)
        for ev in self.ledger.events():
            if ev.stage == "dedup":
                self.done.setdefault(ev.record_id, {})["dedup"] = ev
                if self.on_event and ev.record_id in {s.record_id for s in todo}:
                    self.on_event(ev)

    def run(self, specs: list[TaskSpec]) -> None:
        self.done = self.ledger.by_record()
        new = [StageEvent(record_id=s.record_id, stage="sample", verdict="ok", payload=s.model_dump())
               for s in specs if "sample" not in self.done.get(s.record_id, {})]
        if new:
            self.ledger.append_many(new)
            for ev in new:
                self.done.setdefault(ev.record_id, {})["sample"] = ev
        self.pool(self.phase_a, specs)
        self.dedup(specs)
        self.pool(self.phase_c, [s for s in specs if self._ok(s, "dedup")])


def dedup_text(title: str | None, instruction: str) -> str:
    return f"{title or ''}\n{instruction}"


def build_tasks(specs: list[TaskSpec], done: dict[str, dict[str, StageEvent]], run: _Run) -> list[Task]:
    tasks = []
    for spec in specs:
        st = done.get(spec.record_id, {})
        rub = st.get("rubric")
        if rub is None or rub.verdict == "rejected":
            continue
        draft = st["generate"].payload["draft"]
        check_py = st["verifier"].payload["check_py"]
        task = run.task_of(spec, draft, check_py, rub.payload.get("rubric") if rub.verdict == "ok" else None)
        hashes = {name: st[name].payload["prompt_hash"] for name in ("generate", "verifier", "rubric")
                  if name in st and "prompt_hash" in st[name].payload}
        overall = hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:16]
        task.tags = [f"synth:{run.ROUTE}"]
        task.provenance = Provenance(route=run.ROUTE, generator=run.GENERATOR, model=run.model.config().get("name"),
                                     seed=spec.seed, prompt_hash=overall)
        task.metadata = {"synth": {
            "record_id": spec.record_id, **run.route_metadata(spec), "packages": draft.get("packages", []),
            "prompt_hashes": hashes, "judge_votes": st["judge"].payload.get("votes", []),
            "qa_rounds": st["verifier"].payload.get("qa_rounds", []),
            "verdicts": {name: {"verdict": st[name].verdict, **({"reason": st[name].reason} if st[name].reason else {})}
                         for name in STAGES if name in st}}}
        tasks.append(task)
    return tasks


def summarize(specs: list[TaskSpec], done: dict[str, dict[str, StageEvent]], run: _Run) -> SynthSummary:
    ids = {s.record_id for s in specs}
    stages = {name: StageSummary() for name in STAGES[1:]}
    finished = 0
    pending = []
    for rid in sorted(ids):
        st = done.get(rid, {})
        for name in STAGES[1:]:
            ev = st.get(name)
            if ev is None:
                continue
            s = stages[name]
            s.entered += 1
            column = {"ok": "kept", "rejected": "rejected", "skipped": "skipped"}[ev.verdict]
            setattr(s, column, getattr(s, column) + 1)
            if ev.verdict != "ok":
                kind = ev.payload.get("kind", ev.verdict)
                s.reasons[kind] = s.reasons.get(kind, 0) + 1
            s.usage.add(ev.usage)
        complete = "rubric" in st or any(ev.verdict == "rejected" for ev in st.values())
        if "rubric" in st and st["rubric"].verdict != "rejected":
            finished += 1
        if not complete:
            pending.append(rid)
    tokens = cost = 0.0
    for s in stages.values():
        s.usage.seconds = round(s.usage.seconds, 3)
        s.cost_usd = round(run.engine.pricing.cost(s.usage.prompt_tokens, s.usage.completion_tokens), 6)
        tokens += s.usage.prompt_tokens + s.usage.completion_tokens
        cost += s.cost_usd
    return SynthSummary(route=run.ROUTE, requested=len(specs), finished=finished, pending=pending,
                        errors=[f"{rid}: {why}" for rid, why in sorted(run.errors.items())], stages=stages,
                        session={k: v for k, v in sorted(run.engine.session.items())}, tokens=int(tokens),
                        cost_usd=round(cost, 6))


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
    run = _Run(model, config, redactor, on_event)
    run.on_start = on_start
    return run_route(run, specs, start)


def run_route(run: _Run, specs: list[TaskSpec], start: float) -> SynthSummary:
    """Run (or resume) `specs` through the shared stages and write the output; closes `run`."""
    config, redactor, model = run.cfg, run.redactor, run.model
    try:
        fp = config.fingerprint(model)
        stored = run.ledger.get_meta("config")
        if stored is not None and stored != fp and not config.force:
            diffs = {k: (stored.get(k), fp.get(k)) for k in fp if stored.get(k) != fp.get(k)}
            raise SynthConfigMismatch(f"{config.out} holds a run with another configuration: "
                                      + "; ".join(f"{k}: stored {a!r}, now {b!r}" for k, (a, b) in diffs.items())
                                      + "; use a new --out folder, or --force to continue anyway")
        run.ledger.set_meta("config", fp)
        run.run(specs)
        done = run.ledger.by_record()
        tasks = build_tasks(specs, done, run)
        summary = summarize(specs, done, run)
        out = Path(config.out)
        dest = out / ("tasks.jsonl" if config.format == "jsonl" else "tasks")
        save_tasks(tasks, dest, format=config.format, overwrite=True)
        summary.output = str(dest)
        if config.export_clawgym:
            save_tasks(tasks, out / "clawgym", format="clawgym", overwrite=True)
            summary.clawgym_export = str(out / "clawgym")
        rejections = [{"record_id": rid, "stage": ev.stage, "kind": ev.payload.get("kind"), "reason": ev.reason}
                      for rid in sorted(done) if rid in {s.record_id for s in specs}
                      for ev in done[rid].values() if ev.verdict == "rejected"]
        atomic_write(out / "rejections.jsonl",
                      "".join(redactor.text(json.dumps(r, ensure_ascii=False)) + "\n" for r in rejections))
        summary.seconds = round(time.monotonic() - start, 3)
        atomic_write(out / "summary.json", redactor.text(summary.model_dump_json(indent=2)) + "\n")
        return summary
    finally:
        run.close()
