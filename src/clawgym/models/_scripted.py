"""A model that replays a script: tests, demos, and replaying a saved trajectory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clawgym.models._base import ChatModel, ModelError, ModelResponse, SamplingParams, Usage
from clawgym.models._parse import make_call, parse_text_tool_calls


class ScriptedModel(ChatModel):
    """Each turn returns the next scripted response.

    A response is a string (parsed for `<tool_call>` blocks, like a text-only model) or a dict
    `{"content": str | None, "tool_calls": [{"name": str, "arguments": dict | str}]}`.
    When the script runs out it answers with `final` (default: a plain "Done.").
    """

    name = "scripted"

    def __init__(self, responses: list[Any], final: str | None = "Done."):
        self.responses = list(responses)
        self.final = final
        self.calls = 0

    @classmethod
    def from_file(cls, path: str | Path) -> "ScriptedModel":
        text = Path(path).read_text(encoding="utf-8")
        if str(path).endswith(".jsonl"):
            return cls([json.loads(line) for line in text.splitlines() if line.strip()])
        data = json.loads(text)
        return cls(data["responses"] if isinstance(data, dict) else data)

    @classmethod
    def from_messages(cls, messages: list[dict[str, Any]]) -> "ScriptedModel":
        """Replay the assistant turns of a recorded conversation exactly."""
        turns = []
        for m in messages:
            if m.get("role") == "assistant":
                turns.append({"content": m.get("content"), "tool_calls": [
                    {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                    for c in m.get("tool_calls") or []]})
        return cls(turns, final=None)

    def chat(self, messages, tools=None, params: SamplingParams | None = None, *,
             timeout_s: float | None = None) -> ModelResponse:
        if self.calls >= len(self.responses):
            if self.final is None:
                raise ModelError("scripted model has no more responses")
            item: Any = self.final
        else:
            item = self.responses[self.calls]
        self.calls += 1
        if isinstance(item, str):
            content, calls = parse_text_tool_calls(item)
            content = content or None
        else:
            content = item.get("content")
            calls = [make_call(c["name"], c.get("arguments", {}), c.get("id")) for c in item.get("tool_calls") or []]
        prompt_chars = sum(len(str(m.get("content") or "")) for m in messages)
        return ModelResponse(content=content, tool_calls=calls,
                             finish_reason="tool_calls" if calls else "stop",
                             usage=Usage(prompt_tokens=prompt_chars // 4,
                                         completion_tokens=len(json.dumps(item)) // 4))
