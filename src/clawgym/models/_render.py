"""One rendering path: the text an in-process model is prompted with at inference (`HFModel`),
trained on in SFT (`clawgym.train.tokenize_sft_dataset`) and sampled from in GRPO (the episode's
prompt ids and the environment's tokens between turns) all comes from `ChatRenderer`.

    r = ChatRenderer(tokenizer)                    # tool_format "auto": the template's own tools, if any
    r.prompt_ids(messages, tools)                  # what the model is fed for its next turn
    r.encode(messages, tools)                      # SFT: input_ids + assistant_masks of a conversation

Two formats:

- **native**: the chat template renders tools itself (Qwen and most tool-trained models). Messages
  go to it in OpenAI form (tool calls with their ids and decoded arguments, tool results with
  their `tool_call_id`), the schemas as `tools=`.
- **text**: the template knows no tools (SmolLM2). The schemas go into the system prompt
  (`tools_prompt`: only the tools enabled), assistant turns are written in the canonical
  `<tool_call>{json}</tool_call>` form (`clawgym.models.assistant_text`, the parser's own pair),
  tool results as `<tool_response>` user turns.

Why one class: a model trained on one text and prompted with another learns something it is
never asked. Re-rendering an earlier assistant turn gives the text the model wrote when that text
was canonical; the token ids are the model's own when its sampled tokens are the tokenizer's
encoding of that text (a sampled non-canonical split, e.g. `re`+`ad` for `read`, re-renders as
the canonical split: GRPO trains on the sampled ids, evaluation re-renders, the text agrees).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from clawgym.models._parse import assistant_text, tools_prompt

ToolFormat = Literal["auto", "native", "text"]


class RenderError(ValueError):
    """The chat template cannot serve as one rendering path (it rewrites history)."""


_PROBE_TOOL = [{"type": "function", "function": {"name": "zz_probe_tool", "description": "p",
                                                  "parameters": {"type": "object", "properties": {}}}}]


def _content(message: dict[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):  # OpenAI content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content


@dataclass
class ChatRenderer:
    """Renders conversations for one tokenizer; see the module docstring.

    `tool_format`: "auto" probes whether the template renders tool schemas (once), "native" and
    "text" force one format. Tokenizer calls are serialised (`lock`): a fast tokenizer is not
    re-entrant, and HFModel's many rollout threads share one."""

    tokenizer: Any
    tool_format: ToolFormat = "auto"
    _native: bool | None = field(default=None, repr=False)
    lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:  # datasets.map(num_proc=...) pickles the renderer
        state = dict(self.__dict__)
        state["lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def native(self) -> bool:
        """Whether tools go to the template (`native`) or into the system prompt (`text`)."""
        if self._native is None:
            if self.tool_format != "auto":
                self._native = self.tool_format == "native"
            else:
                try:
                    text = self.tokenizer.apply_chat_template([{"role": "user", "content": "hi"}],
                                                              tools=_PROBE_TOOL, tokenize=False)
                    self._native = "zz_probe_tool" in text
                except Exception:  # a template that chokes on tools does not support them
                    self._native = False
        return self._native

    def template_messages(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
                          ) -> list[dict[str, Any]]:
        """The messages as the chat template receives them (no None content; in the text format,
        calls and results as canonical text and the tool schemas in the system prompt)."""
        native = self.native()
        out: list[dict[str, Any]] = []
        for m in messages:
            role, content, calls = m["role"], _content(m), m.get("tool_calls") or []
            if role == "assistant" and calls:
                if native:
                    out.append({"role": "assistant", "content": content, "tool_calls": [
                        {"id": c.get("id") or f"call_{i}", "type": "function",
                         "function": {"name": c["function"]["name"],
                                      "arguments": _decoded(c["function"].get("arguments"))}}
                        for i, c in enumerate(calls)]})
                else:
                    out.append({"role": "assistant", "content": assistant_text(
                        content, [(c["function"]["name"], c["function"].get("arguments", "{}")) for c in calls])})
            elif role == "assistant" and not native:
                out.append({"role": "assistant", "content": assistant_text(content, [])})
            elif role == "tool" and not native:
                out.append({"role": "user", "content": f"<tool_response>\n{content}\n</tool_response>"})
            elif role == "tool":
                out.append({"role": "tool", "content": content, "tool_call_id": m.get("tool_call_id") or ""})
            else:
                out.append({"role": role, "content": content})
        if tools and not native:
            block = tools_prompt(tools)
            if out and out[0]["role"] == "system":
                out[0] = {**out[0], "content": out[0]["content"] + "\n\n" + block}
            else:
                out.insert(0, {"role": "system", "content": block})
        return out

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, *,
               add_generation_prompt: bool = False) -> str:
        """The conversation's text (with the header of the next assistant turn when asked)."""
        return self.tokenizer.apply_chat_template(
            self.template_messages(messages, tools), tools=tools if tools and self.native() else None,
            tokenize=False, add_generation_prompt=add_generation_prompt)

    def prompt(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> str:
        """The text a model is fed to write its next turn."""
        return self.render(messages, tools, add_generation_prompt=True)

    def tokenize(self, text: str) -> list[int]:
        """Token ids of rendered text (no special tokens added: the template wrote them)."""
        with self.lock:
            return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompt_ids(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> list[int]:
        """Token ids of `prompt`: the same ids for inference, GRPO prompts and SFT prefixes."""
        return self.tokenize(self.prompt(messages, tools))

    def spans(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
              ) -> tuple[str, list[tuple[int, int]]]:
        """The whole conversation's text and the character span of each assistant turn: from
        where the model starts writing (after the generation prompt) through its end-of-turn
        token (the newline a template puts after it is not something the model writes)."""
        full = self.render(messages, tools)
        eos = getattr(self.tokenizer, "eos_token", None)
        out = []
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            prompt = self.prompt(messages[:i], tools)
            upto = self.render(messages[: i + 1], tools)
            if not (full.startswith(upto) and upto.startswith(prompt)):
                raise RenderError("the chat template renders earlier turns differently once later turns "
                                  "follow (it rewrites history), so one rendering cannot serve training and "
                                  "inference; use tool_format='text' or a template without history rewriting")
            end = len(upto)
            if eos and upto.rstrip().endswith(eos):
                end = len(upto.rstrip())
            out.append((len(prompt), end))
        return full, out

    def encode(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """`input_ids` of the whole conversation and `assistant_masks` (1 on tokens that lie
        inside an assistant span): an SFT example."""
        text, spans = self.spans(messages, tools)
        with self.lock:
            enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        mask, j = [], 0
        for start, end in enc["offset_mapping"]:
            while j < len(spans) and start >= spans[j][1]:
                j += 1
            mask.append(1 if j < len(spans) and start >= spans[j][0] and end <= spans[j][1] and end > start else 0)
        return {"input_ids": list(enc["input_ids"]), "assistant_masks": mask}

    SENTINEL = "\u2063CLAWGYM_TURN\u2063"

    def between_turns(self, history: list[dict[str, Any]], tool_messages: list[dict[str, Any]],
                      tools: list[dict[str, Any]] | None = None, *, closed_with: str | None = None) -> str:
        """The text between an assistant turn the model wrote and its next turn: the end of that
        turn the model did not write itself, the tool results, the next assistant header.
        `history`: the conversation before that turn; `closed_with`: the end-of-turn token text
        the model wrote itself (left out here). Derived by rendering a sentinel turn, so it
        follows whatever template the tokenizer has."""
        sentinel = {"role": "assistant", "content": self.SENTINEL}
        before = self.prompt(history, tools)
        full = self.prompt([*history, sentinel, *tool_messages], tools)
        if not full.startswith(before) or self.SENTINEL not in full[len(before):]:
            raise RenderError("the chat template does not render conversations prefix-consistently; "
                              "token-exact multi-turn rollouts need one that does")
        after = full[len(before):]
        closing = after[after.index(self.SENTINEL) + len(self.SENTINEL):]
        if closed_with and closing.startswith(closed_with):
            closing = closing[len(closed_with):]  # the model closed its turn itself
        return closing


def _decoded(raw: Any) -> Any:
    """Arguments as an object for a native template (JSON text that does not decode stays text)."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw if raw is not None else {}


__all__ = ["ChatRenderer", "RenderError", "ToolFormat"]
