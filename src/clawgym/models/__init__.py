"""Chat models behind one interface: OpenAI-compatible endpoints, in-process Hugging Face
models, the embedded SmolLM2, and scripted models for tests."""

from __future__ import annotations

import importlib
from typing import Any

from clawgym.models._base import ChatModel, ModelError, ModelResponse, SamplingParams, ToolCall, Usage
from clawgym.models._parse import make_call, parse_text_tool_calls
from clawgym.models._scripted import ScriptedModel

SPEC_HELP = ("openai:NAME (OPENAI_BASE_URL / OPENAI_API_KEY), hf:PATH, smollm2, scripted:FILE, "
             "or module:Class")


def load_model(spec: str, **options: Any) -> ChatModel:
    """A model from a spec string; heavy libraries are imported only for the kind asked for."""
    kind, _, rest = spec.partition(":")
    if kind == "openai" and rest:
        from clawgym.models._openai import OpenAIModel

        return OpenAIModel(rest, **options)
    if kind == "hf" and rest:
        from clawgym.models._hf import HFModel

        return HFModel.from_pretrained(rest, **options)
    if spec == "smollm2":
        from clawgym.models._smollm2 import load_smollm2

        return load_smollm2(**options)
    if kind == "scripted" and rest:
        return ScriptedModel.from_file(rest)
    if rest:
        try:
            cls = getattr(importlib.import_module(kind), rest)
        except (ImportError, AttributeError) as exc:
            raise ModelError(f"cannot load model {spec!r}: {exc}. Specs: {SPEC_HELP}") from exc
        return cls(**options)
    raise ModelError(f"unknown model spec {spec!r}; use {SPEC_HELP}")


__all__ = ["ChatModel", "ModelError", "ModelResponse", "SamplingParams", "ScriptedModel", "ToolCall",
           "Usage", "load_model", "make_call", "parse_text_tool_calls"]
