"""Tool calls written as text: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`
(Hermes / Qwen style), for models served without native tool calling."""

from __future__ import annotations

import json
import re
import uuid

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
