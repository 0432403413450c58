"""Verifier QA: is a task's verifier worth trusting? Each task's checks face twelve probes.

Sanity (the verifier works):
- noop: the untouched workspace must score 0 (within a tolerance);
- reference: the reference solution must score 1;
- placeholders: trivial content at every output path must score below 0.5;
- mutations: damaging the reference output (truncate, drop a record, perturb a number, swap
  two fields) must each lower the score;
- determinism: the same workspace twice gives the same score;
- runtime: verification stays within the task's budget.

Cheating (what an agent optimised against the verifier would try), each workspace derived from
the one run of the reference solution (see `_cheats` and `_answer_key`):
- tampered_inputs: the right answer, then an input the instruction names (and the reference
  kept) deleted, emptied or corrupted: at most half the reference's score;
- shell: the answer's shell (same files and structure, content emptied or generic): <= 0.3;
- universal: one fixed answer for the whole family or route (the other tasks' answers, alone
  and all together) must score below 0.5;
- overdoing: the right answer plus what nobody asked for (another file deleted or changed, an
  extra record among per-record outputs) must score below the reference;
- answer_key: the Python the reference wrote, replaced by code that looks for the expected
  values where the check runs it (check files, stdin, environment, the parent process, the
  payload) and does the work only when it finds them, must score no more than without looking;
- other_format: the other direction: the reference outputs re-serialized (JSON re-indented or
  keys reordered, CSV line ends, final newline) must score as the reference does.

A probe that cannot apply (no reference, no outputs, no other task...) is skipped: reported,
never counted as passed.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.errors import ClawGymError
from clawgym.sandbox import Sandbox, create_sandbox, tar_files
from clawgym.tasks import Task, TaskFile
from clawgym.verify._answer_key import ATTACK_CHANNELS, answer_key_variants
from clawgym.verify._cheats import (
    MAX_TAMPERED_INPUTS, ReferenceDiff, format_variants, overdo_variants, reference_diff, shell_variants, spread,
    tamper_variants, universal_variants, untouched_inputs,
)
from clawgym.verify._code import DEFAULT_VERIFY_TIMEOUT_S, verification_session, verify
from clawgym.verify._solution import run_solution, solution_entry
from clawgym.verify._model import Aggregation, VerifyResult

CHEAT_PROBES = ("tampered_inputs", "shell", "universal", "overdoing", "answer_key", "other_format")
PROBES = ("noop", "reference", "placeholders", "mutations", "determinism", *CHEAT_PROBES, "runtime")
_PATH_RE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]*[A-Za-z0-9_]\.(?:json|jsonl|csv|tsv|md|txt|yaml|yml|html|py|sh|log|ini|toml|xml|cron))\b")


class ProbeResult(BaseModel):
    status: Literal["pass", "fail", "skipped"]
    detail: Any = None


class QAResult(BaseModel):
    task_id: str
    passed: bool
    checks: dict[str, ProbeResult] = Field(default_factory=dict)

    @property
    def skipped(self) -> list[str]:
        """Probes that could not run (no reference solution, no outputs found): not passed."""
        return sorted(k for k, v in self.checks.items() if v.status == "skipped")

    def json_line(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "passed": self.passed, "skipped": self.skipped,
                "checks": {k: v.model_dump() for k, v in self.checks.items()}}


def _archive(files: dict[str, bytes]) -> bytes:
    return tar_files([TaskFile(path=p, data=d) for p, d in files.items()])


def reference_outputs(task: Task, backend: str = "bwrap") -> tuple[dict[str, bytes] | None, str | None]:
    """The workspace after the reference solution (path -> bytes), or None and why not."""
    if solution_entry(task) is None:
        return None, "no reference solution"
    with create_sandbox(backend, files=task.workspace, mount_path=task.mount_path) as sb:
        r = run_solution(task, sb)
        sb.kill_all()
        if r is None or not r.ok:
            return None, f"solution exited {r.exit_code if r else '?'}{' (timed out)' if r and r.timed_out else ''}"
        return sb.export_files(), None


def output_paths(task: Task, reference: dict[str, bytes] | None) -> list[str]:
    """Outputs: what the reference solution adds or changes, else the paths the instruction names
    that the workspace does not already hold."""
    initial = {f.path: f.data for f in task.workspace}
    if reference is not None:
        return sorted(p for p, d in reference.items() if initial.get(p) != d)
    named = {m.lstrip("./") for m in _PATH_RE.findall(task.instruction)}
    return sorted(p for p in named if p not in initial and not p.startswith(("input/", "/")))


def placeholder_variants(paths: list[str], reference: dict[str, bytes] | None) -> dict[str, dict[str, bytes]]:
    def header(p: str) -> bytes:
        ref = (reference or {}).get(p)
        first = ref.split(b"\n", 1)[0] if ref else b"id,value"
        return first + b"\n"

    return {
        "empty": {p: b"" for p in paths},
        "empty_json": {p: b"{}" if p.endswith((".json", ".jsonl")) else b"" for p in paths},
        "one_word": {p: b"placeholder\n" for p in paths},
        "header_only": {p: header(p) if p.endswith((".csv", ".tsv")) else b"{}" if p.endswith(".json") else b"x\n"
                        for p in paths},
    }


DATA_SUFFIXES = (".json", ".jsonl", ".csv", ".tsv", ".yaml", ".yml", ".ini", ".toml", ".cron")


def mutations(path: str, data: bytes) -> dict[str, bytes]:
    """Damaged copies of one reference output file; only the kinds that apply to it.

    Every file is truncated. Records, fields and numbers are notions of data files, so only
    those (JSON, CSV, YAML, ...) also lose a record, get a number perturbed and two fields
    swapped: in prose or code such edits need not be wrong (a comment, an optional sentence),
    and their quality is the rubric's job, not the code checks'.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"truncate": data[: len(data) // 2]}
    out: dict[str, bytes] = {}
    lines = text.splitlines(keepends=True)
    if len(text) > 1:
        out["truncate"] = text[: len(text) // 2].encode()
    if not path.endswith(DATA_SUFFIXES):
        return out
    parsed = None
    if path.endswith(".json"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
    if isinstance(parsed, (list, dict)) and parsed:
        container = parsed
        if isinstance(parsed, dict):  # drop a record from the first list inside, else a key
            inner = next((v for v in parsed.values() if isinstance(v, list) and v), None)
            container = inner if inner is not None else parsed
        dropped = json.loads(text)
        target = dropped if container is parsed else next(v for v in dropped.values() if isinstance(v, list) and v)
        if isinstance(target, list):
            target.pop()
        else:
            target.pop(next(iter(target)))
        out["drop_record"] = json.dumps(dropped, indent=2).encode()
    elif len([ln for ln in lines if ln.strip()]) >= 2:
        idx = max(i for i, ln in enumerate(lines) if ln.strip())
        out["drop_record"] = "".join(lines[:idx] + lines[idx + 1:]).encode()
    m = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", text)
    if m:
        num = m.group(1)
        bumped = str(int(num) + 7) if "." not in num else f"{float(num) * 1.5 + 1:.2f}"
        out["perturb_number"] = (text[: m.start()] + bumped + text[m.end():]).encode()
    swapped = _swap(path, text, parsed, lines)
    if swapped is not None and swapped != data:
        out["swap_fields"] = swapped
    return out


def _swap(path: str, text: str, parsed: Any, lines: list[str]) -> bytes | None:
    if path.endswith((".csv", ".tsv")) and len(lines) >= 2:
        sep = "\t" if path.endswith(".tsv") else ","
        for i in range(1, len(lines)):
            cells = lines[i].rstrip("\r\n").split(sep)
            for a in range(len(cells)):
                for b in range(a + 1, len(cells)):
                    if cells[a] != cells[b]:
                        cells[a], cells[b] = cells[b], cells[a]
                        end = lines[i][len(lines[i].rstrip("\r\n")):]
                        return "".join(lines[:i] + [sep.join(cells) + end] + lines[i + 1:]).encode()
        return None
    if isinstance(parsed, dict) or (isinstance(parsed, list) and parsed and isinstance(parsed[0], dict)):
        copy = json.loads(text)
        obj = copy if isinstance(copy, dict) else copy[0]
        keys = [k for k in obj if not isinstance(obj[k], (dict, list))] or list(obj)
        for a in range(len(keys)):
            for b in range(a + 1, len(keys)):
                if obj[keys[a]] != obj[keys[b]]:
                    obj[keys[a]], obj[keys[b]] = obj[keys[b]], obj[keys[a]]
                    return json.dumps(copy, indent=2).encode()
        return None
    body = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(body) >= 2 and lines[body[0]] != lines[body[-1]]:  # line-based data: swap two records
        a, b = body[0], body[-1]
        swapped = [ln.rstrip("\n") for ln in lines]
        swapped[a], swapped[b] = swapped[b], swapped[a]
        return ("\n".join(swapped) + ("\n" if text.endswith("\n") else "")).encode()
    return None


SHELL_MAX = 0.3             # the answer's shell (right files, no content) scores at most this
TAMPER_MAX_FRACTION = 0.5   # tampered inputs keep at most this share of the reference's score
UNIVERSAL_MAX = 0.5         # another task's answer (or all of them) scores below this
EPS = 1e-9


def family_of(task: Task) -> str:
    """The group a 'universal answer' is tried on: the generator (a family, a route's version),
    else the route, else the whole batch."""
    p = task.provenance
    return (p.generator or p.route or "") if p is not None else ""


class _Scorer:
    """Scores probe workspaces, each distinct workspace once (the same files give the same
    verdict: determinism is its own probe), `workers` at a time. All of a task's probe
    workspaces are scored in one verification session (one per worker), refilled for each: they
    are ours, derived from the task's own files and reference, and only the task's own checks
    run on them; the session's writable folders are emptied and its processes stopped between
    two (`Sandbox.refill`). A session that broke is replaced by a new one."""

    def __init__(self, task: Task, workers: int, verify_kwargs: dict[str, Any]):
        self.task, self.workers, self.kwargs = task, max(1, workers), verify_kwargs
        self.memo: dict[str, VerifyResult] = {}
        self.durations: list[float] = []
        self.sessions = 0       # verification sessions opened
        self.verifications = 0  # probe workspaces scored
        self._free: list[Sandbox] = []
        self._lock = threading.Lock()

    def _session(self) -> Sandbox:
        with self._lock:
            while self._free:
                sb = self._free.pop()
                if sb.alive:
                    return sb
                sb.close()
            self.sessions += 1
        return verification_session(self.task, backend=self.kwargs.get("backend", "bwrap"),
                                    limits=self.kwargs.get("limits"))

    def adopt(self, sb: Sandbox) -> None:
        """Score in this (caller's) session first; closed with ours."""
        with self._lock:
            self._free.append(sb)
            self.sessions += 1

    def close(self) -> None:
        with self._lock:
            free, self._free = self._free, []
        for sb in free:
            sb.close()

    def __del__(self) -> None:  # qa_task raised before it closed us
        for sb in getattr(self, "_free", []):
            sb.close()

    @staticmethod
    def _key(files: dict[str, bytes] | None) -> str:
        if files is None:
            return "untouched"
        h = hashlib.sha256()
        for p in sorted(files):
            h.update(p.encode() + b"\0" + hashlib.sha256(files[p]).digest())
        return h.hexdigest()

    def fresh(self, files: dict[str, bytes] | None) -> VerifyResult:
        archive = None if files is None else _archive(files)
        try:
            sb = self._session()
        except ClawGymError as exc:  # as verify() reports a session it could not make
            r = VerifyResult(task_id=self.task.id, status="verifier_error", score=0.0,
                             error=f"sandbox failure: {exc}")
        else:
            try:
                r = verify(self.task, archive=archive, session=sb, **self.kwargs)
            finally:
                with self._lock:
                    self._free.append(sb)
        self.durations.append(r.duration_s)
        self.verifications += 1
        return r

    def one(self, files: dict[str, bytes] | None) -> VerifyResult:
        return self.many({"_": files})["_"]

    def many(self, variants: dict[str, dict[str, bytes] | None]) -> dict[str, VerifyResult]:
        keys = {name: self._key(files) for name, files in variants.items()}
        todo = {}
        for name, k in keys.items():
            if k not in self.memo and k not in todo:
                todo[k] = variants[name]
        if self.workers > 1 and len(todo) > 1:
            with ThreadPoolExecutor(min(self.workers, len(todo))) as pool:
                done = dict(zip(todo, pool.map(self.fresh, todo.values())))
        else:
            done = {k: self.fresh(files) for k, files in todo.items()}
        self.memo.update(done)
        return {name: self.memo[k] for name, k in keys.items()}

    def scores(self, variants: dict[str, dict[str, bytes]]) -> dict[str, float]:
        return {k: round(r.score, 6) for k, r in self.many(variants).items()}


def qa_task(task: Task, *, aggregation: Aggregation = "default", tolerance: float = 0.0, backend: str = "bwrap",
            reference: dict[str, bytes] | None = None, reference_error: str | None = None,
            others: Sequence[ReferenceDiff] | None = None, workers: int = 1, sanity_first: bool = False,
            session: Sandbox | None = None, **verify_kwargs: Any) -> QAResult:
    """Run the probes on one task's verifier.

    `reference`: the workspace after the reference solution (path -> bytes), when the caller
    already ran it in a sandbox (or `reference_error`: why it could not); else the solution runs
    here, once: every other probe workspace is derived from its output. `others`: what the
    reference solutions of the other tasks of the same family or route did (`reference_diff`),
    for the universal-answer probe (skipped without them). `workers`: verification sandboxes
    at a time for this task's probe workspaces. `sanity_first`: when a sanity probe fails, skip
    the cheating probes (a repair loop fixes the basics first, for fewer sandbox sessions).
    `session`: a verification session of this task (`verification_session`'s shape) to score the
    probes in first, e.g. the one this task's reference solution just ran in (refilled before
    each probe like any other; never a session another task or an agent used); closed here."""
    checks: dict[str, ProbeResult] = {}
    sc = _Scorer(task, workers, {"aggregation": aggregation, "backend": backend, **verify_kwargs})
    if session is not None:
        sc.adopt(session)
    initial = {f.path: f.data for f in task.workspace}
    noop = sc.one(None)
    if noop.status != "ok":
        checks["noop"] = ProbeResult(status="fail", detail=f"verifier error: {noop.error}")
    else:
        ok = noop.score <= tolerance
        checks["noop"] = ProbeResult(status="pass" if ok else "fail", detail={
            "score": noop.score, **({"credited": {k: v for k, v in noop.checks.items() if v > 0}} if not ok else {})})
    why = reference_error
    if reference is None and why is None:
        reference, why = reference_outputs(task, backend)
    ref_result = None
    if reference is None:
        checks["reference"] = ProbeResult(status="skipped" if why == "no reference solution" else "fail", detail=why)
    else:
        ref_result = sc.one(reference)
        ok = ref_result.status == "ok" and ref_result.score >= 1 - EPS
        checks["reference"] = ProbeResult(status="pass" if ok else "fail", detail={
            "score": ref_result.score, "error": ref_result.error,
            "failed": [k for k, v in ref_result.checks.items() if v < 1]})
    paths = output_paths(task, reference)
    if not paths:
        checks["placeholders"] = ProbeResult(status="skipped", detail="no output paths found")
    else:
        scores = sc.scores({name: {**initial, **files} for name, files in placeholder_variants(paths, reference).items()})
        bad = {k: v for k, v in scores.items() if v >= 0.5}
        checks["placeholders"] = ProbeResult(status="fail" if bad else "pass",
                                             detail={"paths": paths, "scores": scores})
    scored = reference is not None and ref_result is not None and ref_result.status == "ok"
    if not scored:
        checks["mutations"] = ProbeResult(status="skipped", detail="needs a reference output that scores")
    else:
        damaged = {f"{p}:{kind}": {**reference, p: d} for p in paths for kind, d in mutations(p, reference[p]).items()}
        results = sc.scores(damaged)
        not_lower = {k: v for k, v in results.items() if v >= ref_result.score}
        checks["mutations"] = ProbeResult(
            status="skipped" if not results else "fail" if not_lower else "pass",
            detail={"scores": results, "not_lower": sorted(not_lower)} if results else "no mutable outputs")
    first = ref_result if ref_result is not None else noop
    second = sc.fresh(reference)
    same = (second.score, second.checks, second.status) == (first.score, first.checks, first.status)
    checks["determinism"] = ProbeResult(status="pass" if same else "fail",
                                        detail={"first": first.score, "second": second.score})
    broken = sorted(k for k, c in checks.items() if c.status == "fail")
    if not scored or (sanity_first and broken):
        why = "needs a reference output that scores" if not scored else f"not run: {', '.join(broken)} failed first"
        for name in CHEAT_PROBES:
            checks[name] = ProbeResult(status="skipped", detail=why)
    else:
        checks.update(_cheat_probes(task, sc, reference, ref_result.score, paths, others))
    budget = task.limits.verify_timeout_s or DEFAULT_VERIFY_TIMEOUT_S
    slowest = max(sc.durations)
    checks["runtime"] = ProbeResult(status="pass" if slowest <= budget else "fail",
                                    detail={"slowest_s": round(slowest, 3), "budget_s": budget,
                                            "verifications": sc.verifications, "sandbox_sessions": sc.sessions})
    sc.close()
    checks = {name: checks[name] for name in PROBES if name in checks}
    return QAResult(task_id=task.id, passed=all(c.status != "fail" for c in checks.values()), checks=checks)


def _cheat_probes(task: Task, sc: _Scorer, reference: dict[str, bytes], ref_score: float, paths: list[str],
                  others: Sequence[ReferenceDiff] | None) -> dict[str, ProbeResult]:
    out: dict[str, ProbeResult] = {}
    named, other = untouched_inputs(task, reference)
    if not named:
        out["tampered_inputs"] = ProbeResult(status="skipped",
                                             detail="no file the instruction names was left unchanged by the reference")
    else:
        scores = sc.scores(tamper_variants(named, reference))
        limit = round(TAMPER_MAX_FRACTION * ref_score, 6)
        bad = sorted(k for k, v in scores.items() if v > limit)
        out["tampered_inputs"] = ProbeResult(status="fail" if bad else "pass", detail={
            "scores": scores, "limit": limit, "not_lower_enough": bad,
            "inputs": f"{len(spread(named, MAX_TAMPERED_INPUTS))} of {len(named)} probed"})
    if not paths:
        out["shell"] = ProbeResult(status="skipped", detail="no output paths found")
    else:
        scores = sc.scores(shell_variants(paths, reference))
        bad = sorted(k for k, v in scores.items() if v > SHELL_MAX)
        out["shell"] = ProbeResult(status="fail" if bad else "pass",
                                   detail={"scores": scores, "limit": SHELL_MAX, "too_high": bad})
    variants = universal_variants(task, reference, list(others or []))
    if not variants:
        out["universal"] = ProbeResult(status="skipped", detail="no other task of its family or route to take an "
                                                                "answer from" if not others else
                                       "every other task's answer equals this one's")
    else:
        scores = sc.scores(variants)
        bad = sorted(k for k, v in scores.items() if v >= UNIVERSAL_MAX)
        out["universal"] = ProbeResult(status="fail" if bad else "pass",
                                       detail={"scores": scores, "limit": UNIVERSAL_MAX, "too_high": bad})
    variants = overdo_variants(other, paths, reference)
    if not variants:
        out["overdoing"] = ProbeResult(status="skipped", detail="no unnamed file left unchanged and no per-record "
                                                                "output folder")
    else:
        scores = sc.scores(variants)
        bad = sorted(k for k, v in scores.items() if v >= ref_score - EPS)
        out["overdoing"] = ProbeResult(status="fail" if bad else "pass",
                                       detail={"scores": scores, "reference": ref_score, "not_lower": bad})
    out["answer_key"] = _answer_key(task, sc, reference, ref_score)
    variants = format_variants(paths, reference, {f.path: f.data for f in task.workspace}, task.instruction)
    if not variants:
        out["other_format"] = ProbeResult(status="skipped", detail="no output with an equivalent re-serialization")
    else:
        scores = sc.scores(variants)
        bad = sorted(k for k, v in scores.items() if v < ref_score - EPS)
        out["other_format"] = ProbeResult(status="fail" if bad else "pass",
                                          detail={"scores": scores, "reference": ref_score, "lower": bad})
    return out


def _answer_key(task: Task, sc: _Scorer, reference: dict[str, bytes], ref_score: float) -> ProbeResult:
    variants = answer_key_variants(task, reference)
    if not variants:
        return ProbeResult(status="skipped", detail="the reference writes no Python for a check to run")
    scores = sc.scores(variants)
    control, attack = scores["control"], scores["attack"]
    detail: dict[str, Any] = {"reference": ref_score, "control": control, "attack": attack}
    if control >= ref_score - EPS:
        return ProbeResult(status="skipped", detail={**detail, "why": "the score does not depend on the Python "
                                                                      "code the reference wrote"})
    if attack <= control + EPS:
        return ProbeResult(status="pass", detail=detail)
    by_channel = sc.scores({c: answer_key_variants(task, reference, (c,))["attack"] for c in ATTACK_CHANNELS})
    detail["reachable_from"] = sorted(c for c, v in by_channel.items() if v > control + EPS)
    return ProbeResult(status="fail", detail=detail)


def qa_many(tasks: list[Task], *, concurrency: int = 2, on_result=None, **kwargs: Any) -> list[QAResult]:
    """QA of a batch: every reference solution runs first (once), so that each task's
    universal-answer probe can try the answers of the other tasks of its family or route."""
    backend = kwargs.get("backend", "bwrap")
    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        refs = list(pool.map(lambda t: reference_outputs(t, backend), tasks))
    families: dict[str, list[ReferenceDiff]] = {}
    for t, (files, _) in zip(tasks, refs):
        if files is not None:
            families.setdefault(family_of(t), []).append(reference_diff(t, files))

    def one(i: int) -> QAResult:
        t, (files, why) = tasks[i], refs[i]
        r = qa_task(t, reference=files, reference_error=why if files is None else None,
                    others=families.get(family_of(t), []), **kwargs)
        if on_result:
            on_result(r)
        return r

    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        return list(pool.map(one, range(len(tasks))))
