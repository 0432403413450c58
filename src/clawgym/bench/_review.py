"""Review: an LLM reviewer first, a human decision last, every verdict stored.

The LLM reviewer (any ChatModel) reads a task as a benchmark maintainer would and answers in
JSON: is the instruction clear and self-contained, are the checks fair to valid alternative
answers, is the rubric consistent with the checks; with the issues it found and a suggested
verdict. A human then decides, in the terminal (`terminal_review`) or a local web page
(`serve_review`): accept, reject, or edit (needs an edit: not accepted; the note says what).

Decisions are stored per task *version* (its content hash), append-only, in a JSONL file
(`reviews.jsonl`), one whole line per decision written by one writer under a lock; the latest
human decision on a task's current hash is the one that counts, so editing a task sends it back
for review. A benchmark is built only from accepted instances (`accepted`).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.bench._manifest import task_hash

Decision = Literal["accept", "reject", "edit"]
DECISIONS: tuple[str, ...] = ("accept", "reject", "edit")

REVIEW_SYSTEM = (
    "You review tasks for an agent benchmark. A task is an instruction a user gives a personal agent that works "
    "in a workspace of files, plus a hidden code verifier (check.py) and an optional LLM rubric. Judge strictly "
    "and answer with one JSON object only, no prose around it:\n"
    '{"clear": bool, "self_contained": bool, "checks_fair": bool, "rubric_consistent": bool, '
    '"issues": [str, ...], "verdict": "accept" | "reject" | "revise"}\n'
    "clear: one reasonable reading, with the output named (file, format). self_contained: everything needed is in "
    "the instruction and the workspace. checks_fair: the checks accept every valid answer the instruction allows "
    "(formatting, ordering, equivalent wording) and reject wrong ones. rubric_consistent: the rubric (if any) asks "
    "for what the instruction and checks ask for, no more and no less (true when there is no rubric).")


class LLMReview(BaseModel):
    clear: bool | None = None
    self_contained: bool | None = None
    checks_fair: bool | None = None
    rubric_consistent: bool | None = None
    issues: list[str] = Field(default_factory=list)
    verdict: Literal["accept", "reject", "revise"] | None = None
    error: str | None = Field(default=None, description="The reviewer's answer could not be used.")


class ReviewRecord(BaseModel):
    task_id: str
    sha256: str
    kind: Literal["llm", "human"]
    reviewer: str
    at: float = Field(default_factory=time.time)
    decision: Decision | None = None
    note: str = ""
    llm: LLMReview | None = None


def review_prompt(task: Any, max_chars: int = 6000) -> str:
    def clip(s: str) -> str:
        return s if len(s) <= max_chars else s[:max_chars] + f"\n... [{len(s) - max_chars} more characters]"

    files = "\n".join(f"- {f.path} ({len(f.data)} bytes)" for f in task.workspace) or "(empty)"
    samples = []
    for f in task.workspace[:5]:
        try:
            samples.append(f"--- {f.path}\n{clip(f.data.decode('utf-8'))[:1500]}")
        except UnicodeDecodeError:
            continue
    check = task.check_file()
    rubric = task.rubric.model_dump_json(indent=1) if task.rubric else "(none)"
    return (f"# Instruction\n{clip(task.instruction)}\n\n# Workspace files\n{files}\n\n# Workspace samples\n"
            + ("\n".join(samples) or "(none)") + f"\n\n# check.py\n{clip(check.text) if check else '(none)'}\n\n"
            f"# Rubric\n{clip(rubric)}\n")


def parse_review(text: str | None) -> LLMReview:
    """The first JSON object in the reviewer's answer (code fences and prose around it allowed)."""
    if not text:
        return LLMReview(error="empty answer")
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = json.JSONDecoder().raw_decode(text[m.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            try:
                return LLMReview.model_validate({k: v for k, v in obj.items() if k in LLMReview.model_fields})
            except ValueError as exc:
                return LLMReview(error=f"answer does not fit the schema: {str(exc)[:300]}")
    return LLMReview(error=f"no JSON object in the answer: {text[:200]!r}")


def llm_review(task: Any, model: Any, *, timeout_s: float | None = 120) -> LLMReview:
    from clawgym.models import ModelError, SamplingParams

    try:
        r = model.chat([{"role": "system", "content": REVIEW_SYSTEM}, {"role": "user", "content": review_prompt(task)}],
                       None, SamplingParams(temperature=0.0), timeout_s=timeout_s)
    except ModelError as exc:
        return LLMReview(error=f"model error: {exc}")
    return parse_review(r.content)


class ReviewStore:
    """Append-only review decisions (JSONL). Safe for threads and for several processes: each
    line is written whole under an exclusive file lock."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, record: ReviewRecord) -> None:
        line = (record.model_dump_json() + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def records(self) -> list[ReviewRecord]:
        if not self.path.is_file():
            return []
        out = []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.endswith("\n") and line.strip():
                    try:
                        out.append(ReviewRecord.model_validate_json(line))
                    except ValueError:
                        continue  # a torn or foreign line is skipped, never fatal
        return out

    def latest(self) -> dict[tuple[str, str], dict[str, ReviewRecord]]:
        """(task id, hash) -> {"llm": latest LLM review, "human": latest human decision}."""
        out: dict[tuple[str, str], dict[str, ReviewRecord]] = {}
        for r in self.records():
            out.setdefault((r.task_id, r.sha256), {})[r.kind] = r
        return out

    def accepted(self, tasks: Iterable[Any]) -> set[str]:
        """Ids of the tasks whose current version a human accepted last."""
        latest = self.latest()
        return {t.id for t in tasks
                if (h := latest.get((t.id, task_hash(t)), {}).get("human")) is not None and h.decision == "accept"}

    def decide(self, task: Any, decision: str, note: str = "", reviewer: str = "human") -> ReviewRecord:
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        rec = ReviewRecord(task_id=task.id, sha256=task_hash(task), kind="human", reviewer=reviewer,
                           decision=decision, note=note)  # type: ignore[arg-type]
        self.append(rec)
        return rec


def review_with_llm(tasks: Sequence[Any], model: Any, store: ReviewStore, *, reviewer: str | None = None,
                    concurrency: int = 2, redo: bool = False,
                    on_result: Callable[[ReviewRecord], None] | None = None) -> list[ReviewRecord]:
    """LLM-review every task whose current version has no LLM review yet (all with `redo`)."""
    latest = store.latest()
    todo = [t for t in tasks if redo or "llm" not in latest.get((t.id, task_hash(t)), {})]
    name = reviewer or getattr(model, "name", "llm")

    def one(t: Any) -> ReviewRecord:
        rec = ReviewRecord(task_id=t.id, sha256=task_hash(t), kind="llm", reviewer=name, llm=llm_review(t, model))
        store.append(rec)
        if on_result:
            on_result(rec)
        return rec

    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        return list(pool.map(one, todo))


def _llm_summary(rec: ReviewRecord | None) -> str:
    if rec is None or rec.llm is None:
        return "no LLM review"
    r = rec.llm
    if r.error:
        return f"LLM review failed: {r.error}"
    flags = ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in
                      (("clear", r.clear), ("self-contained", r.self_contained), ("checks fair", r.checks_fair),
                       ("rubric consistent", r.rubric_consistent)) if v is not None)
    issues = "".join(f"\n    - {i}" for i in r.issues)
    return f"LLM ({rec.reviewer}) suggests {r.verdict or '?'}: {flags}{issues}"


def terminal_review(tasks: Sequence[Any], store: ReviewStore, *, reviewer: str = "human", redo: bool = False,
                    ask: Callable[[str], str] = input, say: Callable[[str], None] = print) -> dict[str, int]:
    """Walk the tasks that still need a human decision: show the instruction and the LLM's
    review, read a/r/e (accept, reject, edit + note), s to skip, q to stop. Returns counts."""
    latest = store.latest()
    counts = {"accept": 0, "reject": 0, "edit": 0, "skipped": 0}
    todo = [t for t in tasks if redo or "human" not in latest.get((t.id, task_hash(t)), {})]
    for i, t in enumerate(todo, 1):
        rev = latest.get((t.id, task_hash(t)), {})
        say(f"\n[{i}/{len(todo)}] {t.id}  ({t.category or 'uncategorised'})\n{'-' * 60}\n{t.instruction.strip()}\n"
            f"{'-' * 60}\n{_llm_summary(rev.get('llm'))}")
        while True:
            answer = ask("[a]ccept, [r]eject, [e]dit note, [s]kip, [q]uit > ").strip().lower()
            if answer in ("q", "quit"):
                return counts
            if answer in ("s", "skip", ""):
                counts["skipped"] += 1
                break
            decision = {"a": "accept", "r": "reject", "e": "edit"}.get(answer[:1])
            if decision is None:
                say("please answer a, r, e, s or q")
                continue
            note = ask("note (what is wrong / what to change) > ").strip() if decision != "accept" else \
                ask("note (optional) > ").strip()
            store.decide(t, decision, note, reviewer)
            counts[decision] += 1
            break
    return counts
