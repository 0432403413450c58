"""Tool calls written as text: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`
(Hermes / Qwen style), for models served without native tool calling.

The parser and the writer are one pair with one canonical form, so that an assistant turn the
model wrote, parsed into a message and rendered back into a later prompt is the same text:

    content                      (omitted when empty)
    <tool_call>
    {"name": NAME, "arguments": {...}}      json.dumps, ensure_ascii=False, default separators
    </tool_call>                 (one block per call, blocks joined by a newline)

`assistant_text(parse_text_tool_calls(t))` == t for every canonical t. What does not survive the
round trip (a model's own spacing inside the JSON, keys in another order, `parameters` for
`arguments`, `\u00e9` escapes, text after a call, whitespace around the content) is rewritten in
the canonical form; a model trained on canonical turns writes canonical turns.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from clawgym.models._base import ToolCall

_CALL_RE = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:16]


def make_call(name: str, arguments: object, call_id: str | None = None) -> ToolCall:
    """A ToolCall from a name and arguments given as a dict or as JSON text."""
    if isinstance(arguments, str):
        raw = arguments
        try:
            parsed = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolCall(id=call_id or new_call_id(), name=name, arguments=raw,
                            error=f"arguments are not valid JSON: {exc}")
    else:
        parsed, raw = arguments, json.dumps(arguments, ensure_ascii=False)
    if not isinstance(parsed, dict):
        return ToolCall(id=call_id or new_call_id(), name=name, arguments=raw,
                        error="arguments must be a JSON object")
    return ToolCall(id=call_id or new_call_id(), name=name, arguments=raw, parsed=parsed)


def parse_text_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Split model text into (content outside the calls, calls). Never raises."""
    calls: list[ToolCall] = []
    for match in _CALL_RE.finditer(text):
        body = match.group(1).strip()
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            calls.append(ToolCall(id=new_call_id(), name="", arguments=body,
                                  error=f"tool call is not valid JSON: {exc}"))
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            calls.append(ToolCall(id=new_call_id(), name="", arguments=body,
                                  error='tool call must be {"name": str, "arguments": object}'))
            continue
        calls.append(make_call(obj["name"], obj.get("arguments", obj.get("parameters", {}))))
    content = _CALL_RE.sub("", text).strip()
    return content, calls


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def format_tool_call(name: str, arguments: Any) -> str:
    """One call in the canonical text form. `arguments` as JSON text (as `ToolCall.arguments`
    and OpenAI messages hold them) or as an object. A call the parser could not decode (no
    name) is written back as the model wrote it, so re-rendering keeps the model's own text."""
    if not name and isinstance(arguments, str):
        body = arguments
    else:
        body = json.dumps({"name": name, "arguments": _arguments(arguments)}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def assistant_text(content: str | None, calls: list[tuple[str, Any]]) -> str:
    """An assistant turn with tool calls `[(name, arguments), ...]` in the canonical text form
    (what `parse_text_tool_calls` reads back into the same content and calls)."""
    parts = [content.strip()] if content and content.strip() else []
    parts += [format_tool_call(name, args) for name, args in calls]
    return "\n".join(parts)


# How tools are offered to a model whose chat template has none (SmolLM2): the schemas in the
# system prompt, calls answered in the <tool_call> text format parsed above.
TOOLS_PROMPT = """# Tools

You may call one or more functions to assist with the user query. The available functions are:
<tools>
{tools}
</tools>

To call a function, answer with a JSON object inside <tool_call></tool_call> tags, for example:
<tool_call>
{{"name": "read", "arguments": {{"path": "input/notes.txt"}}}}
</tool_call>"""

_EXAMPLES: dict[str, dict[str, Any]] = {"read": {"path": "input/notes.txt"}, "exec": {"command": "ls"},
                                        "write": {"path": "out.txt", "content": "hello"},
                                        "edit": {"path": "notes.txt", "old_string": "teh", "new_string": "the"}}


def tools_prompt(tools: list[dict[str, Any]]) -> str:
    """TOOLS_PROMPT for these tool schemas, its example a call of a tool that is among them
    (an example of a tool the model may not call teaches it to call it)."""
    names = [t.get("function", t).get("name", "") for t in tools]
    text = TOOLS_PROMPT.format(tools="\n".join(json.dumps(t, ensure_ascii=False) for t in tools))
    if not names or "read" in names:
        return text
    name = next((n for n in _EXAMPLES if n in names), names[0])
    if name in _EXAMPLES:
        args: dict[str, Any] = _EXAMPLES[name]
    else:
        params = tools[names.index(name)].get("function", {}).get("parameters", {})
        args = {p: "..." for p in (params.get("required") or [])[:2]}
    example = format_tool_call(name, args)
    return text.replace(format_tool_call("read", _EXAMPLES["read"]), example)
