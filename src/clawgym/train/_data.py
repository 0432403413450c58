"""SFT data: trajectories from run folders -> a Hugging Face dataset of chat messages with tool
schemas -> token ids with an assistant-only loss mask.

    ds = build_sft_dataset(["runs/teacher"], SFTDataConfig(min_score=1.0))   # messages, tools, meta
    tok_ds = tokenize_sft_dataset(ds, tokenizer, max_length=2048)            # input_ids, assistant_masks
    export_openai_jsonl(ds, "sft.jsonl")                                     # for OpenRLHF's SFT scripts

Rendering is `clawgym.models.ChatRenderer`, the one renderer the in-process model (`HFModel`)
prompts with at inference and GRPO samples from: the tokenizer's chat template with the tool
schemas when the template renders tools ("native"), otherwise our text format (tool schemas in
the system prompt, calls as canonical `<tool_call>{json}</tool_call>`, results as
`<tool_response>` user turns: what SmolLM2 sees).
The loss covers each assistant turn from its first token through its end-of-turn token, and
nothing else: not the system prompt, the user, the tool results nor the `<|im_start|>assistant`
header the runtime writes itself.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clawgym.errors import ClawGymError
from clawgym.files import open_atomic
from clawgym.models import ChatRenderer, RenderError, ToolFormat
from clawgym.runs import RunStore


class SFTDataError(ClawGymError):
    """The SFT data cannot be built as asked (no run folder, nothing left after filters, a
    chat template that rewrites earlier turns, ...)."""


@dataclass
class SFTDataConfig:
    """Which trajectories become training examples."""

    min_score: float = 1.0
    """Keep trajectories whose verified score is at least this (1.0: solved only)."""
    statuses: tuple[str, ...] = ("done",)
    """Attempt statuses to keep (agent_error and infra_error are dropped by default)."""
    stop_reasons: tuple[str, ...] | None = None
    """Keep only these stop reasons (e.g. ("final",)); None keeps all."""
    require_tool_calls: bool = False
    """Drop trajectories with no tool call at all."""
    dedup: bool = True
    """Drop trajectories whose conversation (ignoring call ids) was already seen."""
    max_examples: int | None = None


# -- trajectories -> records -----------------------------------------------------------------

def load_trajectories(run_dirs: Iterable[str | Path]) -> Iterator[dict[str, Any]]:
    """Every stored trajectory of each run folder (read-only: a live run is not disturbed),
    with the folder recorded as `_run`."""
    for folder in run_dirs:
        store = RunStore.read(folder)
        try:
            for traj in store.trajectories():
                traj["_run"] = str(folder)
                yield traj
        finally:
            store.close()


def clean_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-format messages reduced to what training needs, in one shape for every row
    (role, content, tool_calls, tool_call_id), with the trailing turns that follow the last
    assistant message dropped (they carry no loss)."""
    out = []
    for m in messages:
        calls = [{"id": c.get("id") or f"call_{i}", "type": "function",
                  "function": {"name": c["function"]["name"],
                               "arguments": c["function"]["arguments"] if isinstance(c["function"]["arguments"], str)
                               else json.dumps(c["function"]["arguments"], ensure_ascii=False)}}
                 for i, c in enumerate(m.get("tool_calls") or [])]
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append({"role": m["role"], "content": content or "", "tool_calls": calls,
                    "tool_call_id": m.get("tool_call_id") or ""})
    while out and out[-1]["role"] != "assistant":
        out.pop()
    return out


def conversation_key(messages: list[dict[str, Any]]) -> str:
    """A hash of the conversation that ignores tool-call ids (the same actions taken twice are one example)."""
    norm = [[m["role"], m["content"], [(c["function"]["name"], c["function"]["arguments"]) for c in m["tool_calls"]]]
            for m in messages]
    return hashlib.sha256(json.dumps(norm, ensure_ascii=False).encode()).hexdigest()


def select_trajectories(trajs: Iterable[dict[str, Any]], config: SFTDataConfig | None = None,
                        stats: Counter | None = None) -> list[dict[str, Any]]:
    """Records (messages, tools as JSON text, meta) of the trajectories that pass the filters;
    `stats` counts what was kept and why the rest was dropped."""
    cfg = config or SFTDataConfig()
    stats = stats if stats is not None else Counter()
    seen: set[str] = set()
    rows = []
    for t in trajs:
        stats["seen"] += 1
        score = (t.get("verification") or {}).get("score") or 0.0
        if t.get("status", "done") not in cfg.statuses:
            stats["dropped_status"] += 1
            continue
        if score < cfg.min_score:
            stats["dropped_score"] += 1
            continue
        if cfg.stop_reasons is not None and t.get("stop_reason") not in cfg.stop_reasons:
            stats["dropped_stop_reason"] += 1
            continue
        msgs = clean_messages(t.get("messages") or [])
        if not any(m["role"] == "assistant" for m in msgs):
            stats["dropped_no_assistant"] += 1
            continue
        if cfg.require_tool_calls and not any(m["tool_calls"] for m in msgs):
            stats["dropped_no_tool_calls"] += 1
            continue
        key = conversation_key(msgs)
        if cfg.dedup and key in seen:
            stats["dropped_duplicate"] += 1
            continue
        seen.add(key)
        rows.append({"messages": msgs, "tools": json.dumps(t.get("tools") or [], ensure_ascii=False),
                     "task_id": t.get("task_id", ""), "traj_id": t.get("id", ""), "sample": int(t.get("sample", 0)),
                     "score": float(score), "run": t.get("_run", "")})
        stats["kept"] += 1
        if cfg.max_examples is not None and len(rows) >= cfg.max_examples:
            break
    return rows


def build_sft_dataset(source: Iterable[str | Path] | Iterable[dict[str, Any]], config: SFTDataConfig | None = None,
                      stats: Counter | None = None) -> Any:
    """A `datasets.Dataset` of chat examples from run folders (or trajectory dicts): columns
    `messages` (OpenAI format, one shape per message), `tools` (the tool schemas, JSON text:
    schemas differ per tool, which Arrow columns cannot hold faithfully), `task_id`, `traj_id`,
    `sample`, `score`, `run`."""
    from datasets import Dataset

    items = list(source)
    trajs = items if items and isinstance(items[0], dict) else load_trajectories(items)  # type: ignore[arg-type]
    stats = stats if stats is not None else Counter()
    rows = select_trajectories(trajs, config, stats)
    if not rows:
        raise SFTDataError(f"no trajectory passed the filters ({dict(stats) or 'no trajectories found'}); "
                           "lower --min-score or add run folders with successful attempts")
    return Dataset.from_list(rows)


def export_openai_jsonl(dataset: Any, path: str | Path) -> int:
    """One JSON object per line, `{"messages": [...], "tools": [...]}` in OpenAI chat format
    (tool-call arguments as JSON text), which OpenRLHF's SFT trainer reads with
    `--input_key messages --apply_chat_template --multiturn` (`--tools_key tools`). Written whole
    (a temporary file renamed into place). Returns the number of lines."""
    path = Path(path)
    n = 0
    with open_atomic(path) as fh:
        for row in dataset:
            fh.write(json.dumps({"messages": openai_messages(row["messages"]), "tools": json.loads(row["tools"]),
                                 "task_id": row.get("task_id"), "score": row.get("score")},
                                ensure_ascii=False) + "\n")
            n += 1
    return n


def openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dataset rows back to strict OpenAI messages (no empty tool_calls / tool_call_id keys)."""
    out = []
    for m in messages:
        msg: dict[str, Any] = {"role": m["role"], "content": m.get("content") or ""}
        if m["role"] == "assistant" and m.get("tool_calls"):
            msg["content"] = m.get("content") or None
            msg["tool_calls"] = [{"id": c["id"], "type": "function", "function": dict(c["function"])}
                                 for c in m["tool_calls"]]
        if m["role"] == "tool":
            msg["tool_call_id"] = m.get("tool_call_id") or ""
        out.append(msg)
    return out


# -- rendering and the loss mask -------------------------------------------------------------
# `ChatRenderer` lives in `clawgym.models`: the one renderer behind inference prompts (HFModel),
# SFT examples (here) and GRPO prompts, re-exported from `clawgym.train` for old imports.


def tokenize_sft_dataset(dataset: Any, tokenizer: Any, *, tool_format: ToolFormat = "auto",
                         max_length: int | None = None, num_proc: int | None = None,
                         stats: Counter | None = None) -> Any:
    """Token ids and assistant masks for every example of `build_sft_dataset`'s dataset;
    examples longer than `max_length` tokens are dropped (never cut: a cut conversation teaches
    the model to stop mid-task), and counted in `stats["dropped_too_long"]`."""
    renderer = ChatRenderer(tokenizer, tool_format)
    renderer.native()  # probe once, before any worker copies the renderer

    def enc(row: dict[str, Any]) -> dict[str, Any]:
        try:
            out = renderer.encode(row["messages"], json.loads(row["tools"]) or None)
        except RenderError as exc:
            raise SFTDataError(str(exc)) from exc
        out["length"] = len(out["input_ids"])
        return out

    tokenized = dataset.map(enc, num_proc=num_proc, desc="Tokenizing trajectories")
    if max_length is not None:
        before = len(tokenized)
        tokenized = tokenized.filter(lambda n: n <= max_length, input_columns=["length"])
        if stats is not None:
            stats["dropped_too_long"] += before - len(tokenized)
    if len(tokenized) == 0:
        raise SFTDataError(f"every example is longer than max_length={max_length} tokens; raise it")
    return tokenized
