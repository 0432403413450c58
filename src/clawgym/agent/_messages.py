"""Typed chat messages, re-exported: they live in `clawgym.models` (the layer that renders and
serves them); these names stay importable from the agent package as before. `ToolCallPart` is
`ToolCall`, the one tool-call type."""

from __future__ import annotations

from clawgym.models import (
    AssistantMessage, ChatMessage, SystemMessage, ToolCall, ToolCallPart, ToolMessage, UserMessage, from_openai,
    parse_message, to_openai,
)

__all__ = ["AssistantMessage", "ChatMessage", "SystemMessage", "ToolCall", "ToolCallPart", "ToolMessage", "UserMessage",
           "from_openai", "parse_message", "to_openai"]
