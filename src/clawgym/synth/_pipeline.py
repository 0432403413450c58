"""The stage pipeline both LLM routes share: a record's spec -> a verified task.

Stages, per record (each verdict appended to the ledger before the next stage starts):

  sample     the record's spec, as the route drew it
  generate   instruction, workspace, reference solution (a TaskDraft; schema repairs)
  reference  the reference solution run in a sandbox: exits 0 and writes every output file
             (then the route's own check, e.g. the skills route's ablation)
  dedup      MinHash LSH near-duplicate removal across the batch (and earlier data sets)
  judge      k judges that see the instruction, the input files AND the reference solution's outputs
             (a wrong reference must not become ground truth); majority per issue
  verifier   check.py, run only in verification sandboxes, must pass every `qa_task` probe, the
             cheating ones included (the other records' answers are the route's universal answers);
             QA failures are fed back for at most `qa_rounds` repair rounds
  rubric     ClawGym's llm_rubric for subjective outputs, or skipped (the task keeps code checks)

A route (persona, skills) is a `Route`: the few hooks where the routes differ (the generate and
judge prompts, how a draft becomes a task, an extra reference check, task metadata). Everything
else, and the output (task folders or JSONL, a ClawGym export, summary.json, rejections.jsonl),
is here, rebuilt from the ledger alone, so a run killed at any point and resumed writes exactly
what an uninterrupted run writes, whichever the route.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field

from clawgym.dedup import NearDuplicateIndex
from clawgym.errors import ClawGymError
from clawgym.files import atomic_write
from clawgym.models import ChatModel, ModelError, SamplingParams
from clawgym.sandbox import Sandbox, create_sandbox
from clawgym.synth._cache import ResponseCache
from clawgym.synth._engine import Pricing, Rejected, StageUsage, SynthEngine
from clawgym.synth._inputs import derive_seed
from clawgym.synth._ledger import StageEvent, StageLedger, Verdict
from clawgym.synth._prompts import qa_feedback, rubric_messages, verifier_messages
from clawgym.synth._redact import Redactor
from clawgym.synth._schemas import (
    Caps, CheckScript, JudgeVote, RubricAnswer, TaskDraft, is_pattern, matching, parse_check,
)
from clawgym.tasks import Provenance, Rubric, Task, TaskFile, load_tasks, save_tasks
from clawgym.verify import ReferenceDiff, qa_task, reference_outputs, run_solution, verification_limits

STAGES = ("sample", "generate", "reference", "dedup", "judge", "verifier", "rubric")
# Reference sessions kept open for the verifier stage's QA at most (idle sessions cost memory,
# not CPU); a record past this count gets a new session for its QA.
MAX_HELD_SESSIONS = 64
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


class RecordSpec(Protocol):
    """What the pipeline reads of a record's spec (a persona TaskSpec, a SkillSpec): its id, its
    seed (every sampling seed derives from it), its category (named in dedup verdicts), and
    `model_dump` (the ledger's `sample` event)."""

    @property
    def record_id(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def category(self) -> str: ...
    def model_dump(self) -> dict[str, Any]: ...


SpecT = TypeVar("SpecT", bound=RecordSpec)
SpecT_contra = TypeVar("SpecT_contra", bound=RecordSpec, contravariant=True)
Outcome = tuple[Verdict, "str | None", dict[str, Any]]  # a stage's verdict, reason and payload


class StageSettings(Protocol):
    """The settings the pipeline reads (PersonaConfig, and SkillsConfig through it, carry them);
    `fingerprint` is what decides the records' content: a folder holding another one is refused."""

    out: Path
    seed: int
    concurrency: int
    sandbox_concurrency: int
    max_repairs: int
    temperature: float | None
    judge_votes: int
    judge_temperature: float | None
    qa_rounds: int
    rubric: bool
    dedup: bool
    dedup_threshold: float
    dedup_against: list[Path]
    caps: Caps
    backend: str
    format: Literal["native", "jsonl"]
    export_clawgym: bool
    packages: list[str] | None
    pricing: Pricing
    cache: Path | None
    model_timeout_s: float | None
    force: bool

    def fingerprint(self, model: ChatModel) -> dict[str, Any]: ...


class Route(Protocol[SpecT_contra]):
    """Where one route differs from another; the pipeline does everything else. `name` goes into
    the tasks' tags and provenance and the summary, `generator` into provenance."""

    @property
    def name(self) -> str: ...
    @property
    def generator(self) -> str: ...

    def generate_request(self, spec: SpecT_contra,
                         packages: list[str]) -> tuple[list[dict[str, Any]], type[TaskDraft], dict[str, Any]]:
        """The generate stage's messages, its draft schema and the schema's validation context
        (`packages`: what the sandbox offers solutions)."""
        ...

    def task_of(self, spec: SpecT_contra, draft: dict[str, Any], check_py: str | None = None,
                rubric: dict[str, Any] | None = None) -> Task:
        """The task a draft stands for (the reference stage runs it before check.py exists)."""
        ...

    def after_reference(self, run: Pipeline[Any], spec: SpecT_contra, draft: dict[str, Any],
                        outputs: dict[str, str]) -> dict[str, Any]:
        """A route's own check once the reference solution wrote every output: raise Rejected, or
        return what to add to the reference stage's payload."""
        ...

    def judge_request(self, spec: SpecT_contra, draft: dict[str, Any],
                      outputs: dict[str, str]) -> tuple[list[dict[str, Any]], type[JudgeVote]]:
        """The judges' messages and vote schema."""
        ...

    def metadata(self, spec: SpecT_contra) -> dict[str, Any]:
        """What a finished task's `metadata["synth"]` says about its spec."""
        ...


def task_from_draft(task_id: str, draft: dict[str, Any], *, category: str | None, subcategory: str | None,
                    persona: str | None, check_py: str | None = None, rubric: dict[str, Any] | None = None) -> Task:
    """A draft's task: its instruction, input files, reference solution, and once the later
    stages gave them, check.py and the rubric."""
    sol = draft["solution"]
    entry = "solve.sh" if sol["language"] == "bash" else "solve.py"
    return Task(id=task_id, instruction=draft["instruction"], title=draft["title"], category=category,
                subcategory=subcategory, persona=persona,
                workspace=[TaskFile(path=f["path"], data=f["content"].encode()) for f in draft["input_files"]],
                solution=[TaskFile(path=entry, data=sol["code"].encode())],
                checks=[TaskFile(path="check.py", data=check_py.encode())] if check_py else [],
                rubric=Rubric.model_validate(rubric) if rubric else None)


class Pipeline(Generic[SpecT]):
    """One route's run over the shared stages: the ledger, the response cache, the engine, the
    sandbox slots, and the stages; the route supplies its hooks (`Route`)."""

    # (record id, stage) as a stage starts: progress for a caller waiting on a slow model
    on_start: Callable[[str, str], None] | None = None

    def __init__(self, model: ChatModel, config: StageSettings, route: Route[SpecT], redactor: Redactor,
                 on_event: Callable[[StageEvent], None] | None):
        self.cfg = config
        self.route = route
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
        self.reference_sessions: dict[str, Sandbox] = {}  # record -> the session its reference ran in
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
        with self.lock:
            held, self.reference_sessions = list(self.reference_sessions.values()), {}
        for sb in held:
            sb.close()
        self.cache.close()
        self.ledger.close()

    def _release(self, record_id: str) -> Sandbox | None:
        """The record's reference session, now the caller's to use and close (None: none held)."""
        with self.lock:
            return self.reference_sessions.pop(record_id, None)

    # -- ledger helpers ---------------------------------------------------------------------------
    def _record(self, ev: StageEvent) -> StageEvent:
        ev = self.ledger.append(ev)
        with self.lock:
            self.done.setdefault(ev.record_id, {})[ev.stage] = ev
        if self.on_event:
            self.on_event(ev)
        return ev

    def stage(self, spec: SpecT, name: str, fn: Callable[[StageUsage], Outcome]) -> StageEvent:
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

    def params(self, spec: SpecT, temperature: float | None, *parts: Any) -> SamplingParams:
        return SamplingParams(temperature=temperature, seed=derive_seed(spec.seed, *parts))

    # -- stages ------------------------------------------------------------------------------------
    def generate(self, spec: SpecT, usage: StageUsage) -> Outcome:
        messages, schema, context = self.route.generate_request(spec, self.packages)
        ans = self.engine.structured("generate", messages, schema,
                                     params=self.params(spec, self.cfg.temperature, "generate"), usage=usage,
                                     context=context)
        return "ok", None, {"draft": ans.value.model_dump(), "prompt_hash": ans.prompt_hash, "repairs": ans.repairs}

    def task_of(self, spec: SpecT, draft: dict[str, Any], check_py: str | None = None,
                rubric: dict[str, Any] | None = None) -> Task:
        return self.route.task_of(spec, draft, check_py, rubric)

    def reference(self, spec: SpecT, draft: dict[str, Any], usage: StageUsage) -> Outcome:
        """The reference solution, run in a session of the verification shape: its workspace is
        where QA's probes derive from, and the session is kept for this task's QA (refilled
        before each probe), so a task starts one session for both, not two."""
        task = self.task_of(spec, draft)
        with self.sandbox_slots:
            sb = create_sandbox(self.cfg.backend, files=task.workspace, mount_path=task.mount_path,
                                limits=verification_limits())
            try:
                res = run_solution(task, sb)
                sb.kill_all()
                files = sb.export_files() if res is not None and res.ok else {}
            except BaseException:
                sb.close()
                raise
        held = False
        if files:  # the verifier stage's QA derives every probe from this one run
            with self.lock:
                self.reference_files[spec.record_id] = files
                if len(self.reference_sessions) < MAX_HELD_SESSIONS:
                    self.reference_sessions[spec.record_id], held = sb, True
        if not held:
            sb.close()
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
        return "ok", None, {"outputs": outputs, **self.route.after_reference(self, spec, draft, outputs)}

    def judge(self, spec: SpecT, draft: dict[str, Any], outputs: dict[str, str], usage: StageUsage) -> Outcome:
        """k judges that see the instruction, the inputs and the reference outputs (a wrong
        reference must not become ground truth); majority per issue."""
        votes: list[dict[str, Any]] = []
        messages, schema = self.route.judge_request(spec, draft, outputs)
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

    def family_answers(self, spec: SpecT) -> list[ReferenceDiff]:
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

    def verifier(self, spec: SpecT, draft: dict[str, Any], outputs: dict[str, str], usage: StageUsage) -> Outcome:
        """check.py, repaired until it passes every QA probe; the reference solution runs once and
        every probe workspace of every round derives from its output."""
        convo = verifier_messages(draft, outputs)
        public = "\n".join([draft["instruction"], *(f["content"] for f in draft["input_files"])])
        rounds: list[dict[str, Any]] = []
        first_hash = None
        with self.lock:
            reference, why = self.reference_files.pop(spec.record_id, None), None
        session = self._release(spec.record_id)  # the reference's session: QA's first round scores in it
        if reference is None:  # the reference stage ran in an earlier run (resumed): run it again here
            with self.sandbox_slots:
                reference, why = reference_outputs(self.task_of(spec, draft), self.cfg.backend)
        others = self.family_answers(spec)
        try:
            for rnd in range(self.cfg.qa_rounds + 1):
                ans = self.engine.structured("verifier", convo, CheckScript, parse=parse_check, usage=usage,
                                             params=self.params(spec, self.cfg.temperature, "verifier"),
                                             context={"reference_outputs": outputs, "public": public})
                first_hash = first_hash or ans.prompt_hash
                task = self.task_of(spec, draft, ans.value.check_py)
                with self.sandbox_slots:
                    given, session = session, None  # qa_task closes it; a repair round starts another
                    qa = qa_task(task, backend=self.cfg.backend, reference=reference,
                                 reference_error=why if reference is None else None, others=others,
                                 sanity_first=True, session=given)
                failures = {k: c.detail for k, c in qa.checks.items() if c.status == "fail"}
                rounds.append({"passed": qa.passed, "checks": {k: c.status for k, c in qa.checks.items()}})
                if qa.passed:
                    return "ok", None, {"check_py": ans.value.check_py, "qa_rounds": rounds,
                                        "prompt_hash": first_hash}
                if rnd < self.cfg.qa_rounds:
                    usage.repairs += 1
                    convo = [*ans.messages, {"role": "user", "content": qa_feedback(failures)}]
        finally:
            if session is not None:  # no round reached QA (a model error, an unusable check.py)
                session.close()
        worst = ", ".join(f"{k}: {json.dumps(v, default=str)[:200]}" for k, v in failures.items())
        raise Rejected("verifier", f"check.py still fails QA after {self.cfg.qa_rounds} repair rounds ({worst})",
                       detail={"qa_rounds": rounds}, kind="qa:" + "+".join(sorted(failures)))

    def rubric(self, spec: SpecT, draft: dict[str, Any], check_py: str, usage: StageUsage) -> Outcome:
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
    def _ok(self, spec: SpecT, name: str) -> StageEvent | None:
        ev = self.done.get(spec.record_id, {}).get(name)
        return ev if ev is not None and ev.verdict == "ok" else None

    def phase_a(self, spec: SpecT) -> None:
        gen = self.stage(spec, "generate", lambda u: self.generate(spec, u))
        if gen.verdict != "ok":
            return
        self.stage(spec, "reference", lambda u: self.reference(spec, gen.payload["draft"], u))

    def phase_c(self, spec: SpecT) -> None:
        draft = self._ok(spec, "generate").payload["draft"]
        outputs = self._ok(spec, "reference").payload["outputs"]
        try:
            if self.stage(spec, "judge", lambda u: self.judge(spec, draft, outputs, u)).verdict != "ok":
                return
            ver = self.stage(spec, "verifier", lambda u: self.verifier(spec, draft, outputs, u))
        finally:  # the judges rejected it (or the verifier stage was recorded before): no QA for that session
            if (sb := self._release(spec.record_id)) is not None:
                sb.close()
        if ver.verdict != "ok":
            return
        self.stage(spec, "rubric", lambda u: self.rubric(spec, draft, ver.payload["check_py"], u))

    def guarded(self, fn: Callable[[SpecT], None], spec: SpecT) -> None:
        try:
            fn(spec)
        except ModelError as exc:  # the infrastructure's fault: nothing recorded, a resume retries
            self.errors[spec.record_id] = self.redactor.text(f"model error: {exc}")
        except ClawGymError as exc:
            self.errors[spec.record_id] = self.redactor.text(f"{type(exc).__name__}: {exc}")

    def pool(self, fn: Callable[[SpecT], None], specs: list[SpecT]) -> None:
        workers = self.cfg.concurrency + self.cfg.sandbox_concurrency
        if not specs:
            return
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(specs)))) as ex:
            list(ex.map(lambda s: self.guarded(fn, s), specs))

    def dedup(self, specs: list[SpecT]) -> None:
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

    def run(self, specs: list[SpecT]) -> None:
        self.done = self.ledger.by_record()
        new = [StageEvent(record_id=s.record_id, stage="sample", verdict="ok", payload=s.model_dump())
               for s in specs if "sample" not in self.done.get(s.record_id, {})]
        if new:
            self.ledger.append_many(new)
            for ev in new:
                self.done.setdefault(ev.record_id, {})["sample"] = ev
        self.pool(self.phase_a, specs)
        self.dedup(specs)
        for s in specs:  # near-duplicates get no QA: their reference sessions end now
            if not self._ok(s, "dedup") and (sb := self._release(s.record_id)) is not None:
                sb.close()
        self.pool(self.phase_c, [s for s in specs if self._ok(s, "dedup")])



def dedup_text(title: str | None, instruction: str) -> str:
    return f"{title or ''}\n{instruction}"


def build_tasks(specs: list[SpecT], done: dict[str, dict[str, StageEvent]], run: Pipeline[SpecT]) -> list[Task]:
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
        task.tags = [f"synth:{run.route.name}"]
        task.provenance = Provenance(route=run.route.name, generator=run.route.generator,
                                     model=run.model.config().get("name"), seed=spec.seed, prompt_hash=overall)
        task.metadata = {"synth": {
            "record_id": spec.record_id, **run.route.metadata(spec), "packages": draft.get("packages", []),
            "prompt_hashes": hashes, "judge_votes": st["judge"].payload.get("votes", []),
            "qa_rounds": st["verifier"].payload.get("qa_rounds", []),
            "verdicts": {name: {"verdict": st[name].verdict, **({"reason": st[name].reason} if st[name].reason else {})}
                         for name in STAGES if name in st}}}
        tasks.append(task)
    return tasks


def summarize(specs: list[SpecT], done: dict[str, dict[str, StageEvent]], run: Pipeline[SpecT]) -> SynthSummary:
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
    return SynthSummary(route=run.route.name, requested=len(specs), finished=finished, pending=pending,
                        errors=[f"{rid}: {why}" for rid, why in sorted(run.errors.items())], stages=stages,
                        session={k: v for k, v in sorted(run.engine.session.items())}, tokens=int(tokens),
                        cost_usd=round(cost, 6))


def run_route(run: Pipeline[SpecT], specs: list[SpecT], start: float) -> SynthSummary:
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
