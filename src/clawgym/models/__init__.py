"""Chat models behind one interface: OpenAI-compatible endpoints, in-process Hugging Face
models, the embedded SmolLM2, and scripted models for tests."""

from __future__ import annotations

import importlib
from typing import Any

from clawgym.models._base import (
    ChatModel, ContextLengthError, ModelError, ModelResponse, ModelUnavailable, SamplingParams, ToolCall, Usage,
)
from clawgym.models._device import (
    DEVICE_HELP, DeviceError, check_device_spec, pick_dtype, resolve_device, resolve_dtype,
)
from clawgym.models._parse import (
    TOOLS_PROMPT, assistant_text, format_tool_call, make_call, parse_text_tool_calls, tools_prompt,
)
from clawgym.models._render import ChatRenderer, RenderError, ToolFormat
from clawgym.models._scripted import ScriptedModel
from clawgym.models._serve import create_app, serve, serving
from clawgym.models._chat import (
    AssistantMessage, ChatFormatError, ChatMessage, Content, ContentPart, ImagePart, SystemMessage, TextPart,
    ToolCallPart, ToolMessage, UserMessage, content_text, from_openai, parse_message, text_messages, to_openai,
)
from clawgym.models._codec import (
    ChatRequest, RequestError, error_body, error_for, parse_request, read_answer, render_completion, render_stream,
)

SPEC_HELP = ("openai:NAME (OPENAI_BASE_URL / OPENAI_API_KEY), hf:PATH, smollm2, scripted:FILE, "
             "or module:Class")


def load_model(spec: str, *, request_timeout_s: float | None = None, total_timeout_s: float | None = None,
               **options: Any) -> ChatModel:
    """A model from a spec string; heavy libraries are imported only for the kind asked for.

    `request_timeout_s` bounds one HTTP request and `total_timeout_s` one `chat()` call with
    its retries (defaults 120 s and 600 s); a caller's `chat(..., timeout_s=)` deadline bounds it
    further. They apply to models behind a network (`openai:`, and `module:Class` when given);
    in-process models have no request to time out and stop at the caller's deadline instead.
    `device` ("auto", "cpu", "cuda[:N]") and `dtype` ("auto": bf16 on a GPU that supports it,
    else fp32) place the in-process ones (`hf:`, `smollm2`).

    The spec is looked up in the one registry (`clawgym.registry`), which names the extra to
    install when a kind's libraries are missing; an unknown or unusable spec raises `ModelError`.
    """
    from clawgym.registry import RegistryError, load_model as registry_load

    try:
        return registry_load(spec, request_timeout_s=request_timeout_s, total_timeout_s=total_timeout_s, **options)
    except RegistryError as exc:
        raise ModelError(str(exc)) from exc


def __getattr__(name: str) -> Any:
    """The concrete model classes and the batched generation engine, imported on first use
    (PEP 562): torch and transformers load only when asked for."""
    where = {"OpenAIModel": "clawgym.models._openai", "HFModel": "clawgym.models._hf",
             "BatchEngine": "clawgym.models._batch", "GenRequest": "clawgym.models._batch",
             "GenResult": "clawgym.models._batch", "load_smollm2": "clawgym.models._smollm2"}
    if name in where:
        return getattr(importlib.import_module(where[name]), name)
    raise AttributeError(f"module 'clawgym.models' has no attribute {name!r}")


__all__ = ["BatchEngine", "ChatModel", "ContextLengthError", "GenRequest", "GenResult", "HFModel", "load_smollm2", "ModelError", "ModelResponse", "ModelUnavailable",
           "OpenAIModel", "SPEC_HELP", "SamplingParams", "ScriptedModel", "ToolCall", "Usage", "create_app",
           "load_model", "make_call", "parse_text_tool_calls", "serve", "TOOLS_PROMPT",
           "serving", "AssistantMessage", "ChatFormatError", "ChatMessage", "ChatRequest", "Content", "ContentPart",
           "ImagePart", "RequestError", "SystemMessage", "TextPart", "ToolCallPart", "ToolMessage", "UserMessage",
           "content_text", "error_body", "error_for", "from_openai", "parse_message", "parse_request", "read_answer",
           "render_completion", "render_stream", "text_messages", "to_openai",
           "ChatRenderer", "RenderError", "ToolFormat", "assistant_text", "format_tool_call", "tools_prompt",
           "DEVICE_HELP", "DeviceError", "check_device_spec", "pick_dtype", "resolve_device", "resolve_dtype"]
