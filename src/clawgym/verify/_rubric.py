"""LLM rubric judging: ClawGym's rubric schema, k votes per rule, median, a content cache.

A judge is any ChatModel. Its answer is parsed strictly (one JSON object naming one of the
rubric's score options); a vote that cannot be parsed is asked once more, and a rule with no
valid vote leaves the whole rubric unscored, with the reason, so the score falls back to the
code checks alone and says so. Never a silent 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import hashlib
import json
import re
import statistics
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from clawgym import settings
from clawgym.files import atomic_write
from clawgym.models import ChatModel, ModelError, SamplingParams
from clawgym.tasks import Rubric, RubricRule, Task

MAX_FILE_CHARS = 20_000

JUDGE_SYSTEM = """You are a strict, fair grader of work done by an AI assistant for a user.
You grade ONE rule against ONE output file. Read the rule's score bands and pick the single band
that best matches the file. Answer with one JSON object and nothing else:
{"score": <one of the allowed scores>, "reason": "<one sentence>"}"""


class RuleVerdict(BaseModel):
    name: str
    file_path: str | None = None
    score: float | None = None
    votes: list[float] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    error: str | None = None


class RubricResult(BaseModel):
    status: str = Field(description="judged, or judge_error")
    score: float | None = None
    rules: list[RuleVerdict] = Field(default_factory=list)
    error: str | None = None
    calls: int = Field(default=0, description="Judge calls made (cache hits cost none).")


class JudgeCache:
    """Verdicts keyed on judge model, rule, eval input, file content and vote index."""

    def __init__(self, folder: str | Path | None = None):
        root = folder or settings.current().judge_cache_root()  # CLAWGYM_JUDGE_CACHE, else CLAWGYM_CACHE/judge
        self.folder = Path(root)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(key).read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        atomic_write(self._path(key), json.dumps(value))  # a reader never sees half a verdict


def _read_output(outputs: Mapping[str, bytes | str], rel: str | None) -> tuple[str | None, str | None]:
    """(text, note): the rule's file as read in the verification sandbox, truncated with a
    note; None when it could not be read (the note says why)."""
    if not rel:
        return None, "the rule names no file"
    data = outputs.get(rel)
    if data is None:
        return None, f"{rel} does not exist"
    if isinstance(data, str):  # why the sandbox could not read it
        return None, data
    text = data.decode("utf-8", errors="replace")
    if len(text) > MAX_FILE_CHARS:
        text = text[:MAX_FILE_CHARS] + f"\n[... truncated: {len(text) - MAX_FILE_CHARS} more characters not shown]"
    return text, None


def judge_prompt(rubric: Rubric, rule: RubricRule, instruction: str, content: str) -> list[dict[str, str]]:
    bands = "\n".join(f'- {k}: {v}' for k, v in rule.scores.items())
    options = ", ".join(f"{o:g}" for o in rubric.score_options)
    user = (f"## The user's request\n{instruction}\n\n## What to evaluate\n{rubric.eval_input or '(see the rule)'}\n\n"
            f"## Rule: {rule.name}\nScore bands:\n{bands}\n\nAllowed scores: {options}\n\n"
            f"## The file {rule.file_path}\n<file>\n{content}\n</file>\n\n"
            'Answer with {"score": ..., "reason": "..."} only.')
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def parse_verdict(text: str | None, options: list[float]) -> tuple[float, str]:
    """Strict: exactly one JSON object whose score is one of the options. Raises ValueError."""
    if not text:
        raise ValueError("empty answer")
    objs = re.findall(r"\{.*?\}", text, re.DOTALL)
    if len(objs) != 1:
        raise ValueError(f"expected one JSON object, found {len(objs)}")
    obj = json.loads(objs[0])
    score = obj.get("score") if isinstance(obj, dict) else None
    if isinstance(score, str):
        score = float(score)
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise ValueError(f"score {score!r} is not a number")
    match = [o for o in options if abs(o - score) < 1e-9]
    if not match:
        raise ValueError(f"score {score} is not one of {options}")
    return float(match[0]), str(obj.get("reason", ""))[:500]


def judge_rubric(task: Task, outputs: Mapping[str, bytes | str], judge: ChatModel, *, votes: int = 1,
                 cache: JudgeCache | None = None, params: SamplingParams | None = None) -> RubricResult:
    """Score the task's rubric on the files its rules name ({path: bytes, or why unreadable},
    read in the verification sandbox). Never raises for a failing judge."""
    rubric = task.rubric
    result = RubricResult(status="judged")
    if rubric is None or not rubric.rules:
        return RubricResult(status="judged", score=None)
    judge_id = json.dumps(judge.config(), sort_keys=True)
    for rule in rubric.rules:
        verdict = RuleVerdict(name=rule.name, file_path=rule.file_path)
        result.rules.append(verdict)
        content, missing = _read_output(outputs, rule.file_path)
        if content is None:  # nothing to judge: the lowest band, no call
            verdict.score, verdict.reasons = min(rubric.score_options), [missing or ""]
            continue
        for vote in range(votes):
            key = hashlib.sha256("\0".join([judge_id, rule.model_dump_json(), rubric.eval_input, task.instruction,
                                            hashlib.sha256(content.encode()).hexdigest(), str(vote)]).encode()).hexdigest()
            cached = cache.get(key) if cache else None
            if cached is not None:
                verdict.votes.append(cached["score"])
                verdict.reasons.append(cached["reason"])
                continue
            last_error = None
            for _attempt in range(2):  # one more ask when the answer cannot be parsed
                try:
                    result.calls += 1
                    resp = judge.chat(judge_prompt(rubric, rule, task.instruction, content), None,
                                      params or SamplingParams(temperature=0.0 if votes == 1 else 0.7, max_tokens=300))
                    score, reason = parse_verdict(resp.content, rubric.score_options)
                except ModelError as exc:
                    last_error = f"judge unavailable: {exc}"
                    break
                except (ValueError, json.JSONDecodeError) as exc:
                    last_error = f"unparsable verdict: {exc}"
                    continue
                verdict.votes.append(score)
                verdict.reasons.append(reason)
                if cache:
                    cache.put(key, {"score": score, "reason": reason})
                last_error = None
                break
            if last_error is not None:
                verdict.error = last_error
                break
        if verdict.error is not None:
            result.status, result.error = "judge_error", f"rule {rule.name!r}: {verdict.error}"
            return result
        verdict.score = statistics.median_low(verdict.votes)
    result.score = sum(v.score for v in result.rules) / len(result.rules)
    return result
