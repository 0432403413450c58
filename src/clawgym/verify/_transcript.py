"""A rollout's transcript as OpenClaw's session log, the shape check scripts are written against.

OpenClaw writes each session as JSONL under `~/.openclaw/agents/<agent>/sessions/`: a `session`
header, then one `message` event per turn (graders read only these; the header is not made up
here), with assistant tool calls as `toolCall` content items
and tool output as `toolResult` messages. ClawGym's RL harness hands that list (parsed) to its
checks in the reward payload, and PinchBench's `grade(transcript, workspace_path)` functions walk
it, so verification gives every check the same shape whichever agent ran: our own loop's OpenAI
chat messages are converted here; events already in OpenClaw's shape pass through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def _text(content: Any) -> str:
    if isinstance(content, list):  # OpenAI text parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _arguments(raw: Any) -> dict[str, Any]:
    """Tool arguments as the object OpenClaw logs; text that is not a JSON object is kept
    under `raw` so a grader sees what the model wrote instead of nothing."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"raw": raw}


def is_openclaw_log(transcript: Sequence[Any]) -> bool:
    """True when the entries are already OpenClaw session events (each has a `type`)."""
    return bool(transcript) and all(isinstance(e, dict) and "type" in e and "role" not in e for e in transcript)


def openclaw_session(messages: Sequence[Any]) -> list[dict[str, Any]]:
    """OpenAI chat messages (a trajectory's) as OpenClaw session events: one `message` event per
    user, assistant and tool message. The system prompt is not part of
    OpenClaw's log and is left out. Timestamps are not known here and are omitted."""
    if is_openclaw_log(messages):
        return [dict(e) for e in messages]
    events: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    parent: str | None = None
    for m in messages:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role == "user":
            body: dict[str, Any] = {"role": "user", "content": [{"type": "text", "text": _text(m.get("content"))}]}
        elif role == "assistant":
            content: list[dict[str, Any]] = []
            if m.get("reasoning_content"):
                content.append({"type": "thinking", "thinking": str(m["reasoning_content"])})
            if _text(m.get("content")):
                content.append({"type": "text", "text": _text(m.get("content"))})
            for i, call in enumerate(m.get("tool_calls") or []):
                fn = call.get("function", call) if isinstance(call, dict) else {}
                cid = str(call.get("id") or f"call_{len(events)}_{i}")
                names[cid] = str(fn.get("name", ""))
                content.append({"type": "toolCall", "id": cid, "name": names[cid],
                                "arguments": _arguments(fn.get("arguments", "{}"))})
            body = {"role": "assistant", "content": content,
                    "stopReason": "toolUse" if m.get("tool_calls") else "stop"}
        elif role == "tool":
            cid = str(m.get("tool_call_id", ""))
            body = {"role": "toolResult", "toolCallId": cid, "toolName": m.get("name") or names.get(cid, ""),
                    "content": [{"type": "text", "text": _text(m.get("content"))}],
                    "isError": bool(m.get("is_error", False))}
        else:  # system prompts and anything unknown are not part of OpenClaw's log
            continue
        eid = f"m{len(events) + 1}"
        events.append({"type": "message", "id": eid, "parentId": parent, "message": body})
        parent = eid
    return events


def transcript_summary(events: Sequence[Any], *, result_chars: int = 200) -> str:
    """What the agent did, one line per step, for a judge that grades from the transcript (as
    PinchBench's judge does): the user's words, each tool call with its arguments, and the
    start of each tool result; the assistant's own text too, since it is often the answer."""
    lines: list[str] = []
    for e in openclaw_session(events):
        msg = e.get("message") if e.get("type") == "message" else None
        if not isinstance(msg, dict):
            continue
        parts = msg.get("content") if isinstance(msg.get("content"), list) else []
        if msg.get("role") == "user":
            lines += [f"User: {p.get('text', '')}" for p in parts if isinstance(p, dict) and p.get("type") == "text"]
        elif msg.get("role") == "assistant":
            for p in parts:
                if not isinstance(p, dict):
                    continue
                if p.get("type") == "toolCall":
                    lines.append(f"Tool: {p.get('name')}({json.dumps(p.get('arguments', {}), ensure_ascii=False)})")
                elif p.get("type") == "text" and p.get("text"):
                    lines.append(f"Assistant: {p['text']}")
        elif msg.get("role") == "toolResult":
            text = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
            lines.append(f"Result: {text[:result_chars]}" + (" [...]" if len(text) > result_chars else ""))
    return "\n".join(lines)
