"""An in-process Hugging Face transformers model, for small models and training loops.

Prompts come from `ChatRenderer` (the one rendering path SFT and GRPO use too): the tokenizer's
chat template with the tool schemas when it renders tools; otherwise (SmolLM2) the schemas of
the enabled tools in the system prompt and tool calls as canonical `<tool_call>{json}</tool_call>`
text, which is also how the model's answers are parsed. Device and dtype come from
`clawgym.models` `resolve_device` / `resolve_dtype` (`device="auto"`: a GPU when one is visible).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from clawgym.models._base import ChatModel, ContextLengthError, ModelError, ModelResponse, SamplingParams, Usage
from clawgym.models._device import model_device, resolve_device, resolve_dtype
from clawgym.models._parse import parse_text_tool_calls
from clawgym.models._render import ChatRenderer, ToolFormat


class HFModel(ChatModel):
    """`batching=True` (the default): concurrent `chat()` calls share forward passes through a
    continuous-batching engine (`_batch.BatchEngine`); `max_batch` bounds the running batch.
    `batching=False` runs `generate()` one call at a time behind a lock. `prefix_cache_tokens`
    bounds the engine's cache of finished sequences' KV (0: none); call `clear_prefix_cache()`
    after changing the weights. `autocast`: a torch dtype to run generation under autocast in
    (a trainer in bf16 mixed precision samples in the precision it trains in)."""

    def __init__(self, model: Any, tokenizer: Any, *, name: str = "hf", default_max_tokens: int = 512,
                 batching: bool = True, max_batch: int = 16, prefix_cache_tokens: int = 8192,
                 tool_format: ToolFormat = "auto", autocast: Any = None):
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self.default_max_tokens = default_max_tokens
        self._lock = threading.Lock()  # generate() is not re-entrant
        self.renderer = ChatRenderer(tokenizer, tool_format)
        self._tok_lock = self.renderer.lock  # nor is a fast tokenizer, strictly: one lock for both
        self.batching = batching and _batchable(model)
        self.max_batch, self.prefix_cache_tokens = max_batch, prefix_cache_tokens
        self.autocast = autocast
        self._engine: Any = None

    @classmethod
    def from_pretrained(cls, path: str | Path, *, device: Any = "auto", dtype: str = "auto", **kw: Any) -> "HFModel":
        """Load a model folder onto `device` ("auto", "cpu", "cuda[:N]") in `dtype` ("auto":
        bf16 on a GPU that supports it, fp32 elsewhere)."""
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ModelError("the hf model needs transformers and torch: pip install 'clawgym[hf]'") from exc
        dev = resolve_device(device)
        tok = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=resolve_dtype(dev, dtype))
        model.to(dev)
        model.eval()
        return cls(model, tok, name=kw.pop("name", Path(path).name), **kw)

    @property
    def device(self) -> Any:
        """Where the weights are; every tensor fed to the model is made there."""
        return model_device(self.model)

    def config(self) -> dict[str, Any]:
        return {"kind": "hf", "name": self.name,
                "max_positions": getattr(self.model.config, "max_position_embeddings", None),
                "device": str(self.device), "dtype": str(getattr(self.model, "dtype", "")).replace("torch.", "")}

    def eos_ids(self) -> set[int]:
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        ids = {self.tokenizer.eos_token_id} | set(gen_eos if isinstance(gen_eos, list) else [gen_eos])
        return {i for i in ids if i is not None}

    def engine(self) -> Any:
        """The continuous-batching engine (started on first use)."""
        with self._lock:
            if self._engine is None:
                from clawgym.models._batch import BatchEngine

                pad = self.tokenizer.pad_token_id
                self._engine = BatchEngine(self.model, eos_ids=self.eos_ids(),
                                           pad_id=pad if pad is not None else self.tokenizer.eos_token_id,
                                           decode=self._decode, max_batch=self.max_batch,
                                           prefix_cache_tokens=self.prefix_cache_tokens, autocast=self.autocast)
            return self._engine

    def clear_prefix_cache(self) -> None:
        """Forget cached KV (after the weights changed)."""
        if self._engine is not None:
            self._engine.clear_prefix_cache()

    def _decode(self, ids: list[int]) -> str:
        with self._tok_lock:
            return self.tokenizer.decode(ids, skip_special_tokens=True)

    def decode(self, ids: list[int], *, skip_special_tokens: bool = True) -> str:
        """Token ids to text (thread-safe)."""
        with self._tok_lock:
            return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def encode(self, text: str) -> list[int]:
        """Text to token ids, no special tokens added (thread-safe)."""
        return self.renderer.tokenize(text)

    def encode_prompt(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> list[int]:
        """The exact prompt token ids `chat()` feeds the model (`ChatRenderer.prompt_ids`)."""
        return self.renderer.prompt_ids(messages, tools)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def template_has_tools(self) -> bool:
        """Whether the chat template renders the tool schemas (probed once)."""
        return self.renderer.native()

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
        """The prompt text for the next assistant turn (`ChatRenderer.prompt`)."""
        return self.renderer.prompt(messages, tools)

    def chat(self, messages, tools=None, params: SamplingParams | None = None, *,
             timeout_s: float | None = None) -> ModelResponse:
        import torch

        params = params or SamplingParams()
        if self.batching:
            return self._chat_batched(messages, tools, params, timeout_s)
        prompt_ids = self.encode_prompt(messages, tools)
        ids = torch.tensor([prompt_ids], dtype=torch.long, device=self.device)
        enc = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        n_prompt = len(prompt_ids)
        max_new = params.max_tokens or self.default_max_tokens
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit is not None and n_prompt >= limit:
            raise ContextLengthError(f"prompt of {n_prompt} tokens does not fit {self.name}'s {limit}")
        if limit is not None:
            max_new = min(max_new, limit - n_prompt)
        sample = (params.temperature or 0) > 0
        gen: dict[str, Any] = {"max_new_tokens": max_new, "do_sample": sample,
                               "output_scores": True, "return_dict_in_generate": True,
                               "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id}
        if sample:
            gen["temperature"] = params.temperature
            if params.top_p is not None:
                gen["top_p"] = params.top_p
        if params.stop:
            gen["stop_strings"], gen["tokenizer"] = params.stop, self.tokenizer
        if timeout_s is not None:  # generation stops at the caller's deadline (finish_reason "length")
            gen["max_time"] = max(timeout_s, 0.01)
        with self._lock, torch.no_grad():
            if params.seed is not None:
                torch.manual_seed(params.seed)
            out = self.model.generate(**enc, **gen)
            scores = self.model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
        new_ids = out.sequences[0, n_prompt:].tolist()
        logprobs = [float(x) for x in scores[0][: len(new_ids)].tolist()]
        gen_eos = getattr(self.model.generation_config, "eos_token_id", None)
        eos = {self.tokenizer.eos_token_id} | set(gen_eos if isinstance(gen_eos, list) else [gen_eos])
        ended = bool(new_ids) and new_ids[-1] in eos
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        content, calls = parse_text_tool_calls(text)
        return ModelResponse(content=content or None, tool_calls=calls,
                             finish_reason="tool_calls" if calls else ("stop" if ended else "length"),
                             usage=Usage(prompt_tokens=n_prompt, completion_tokens=len(new_ids)),
                             token_ids=new_ids, logprobs=logprobs, prompt_token_ids=prompt_ids)


    def _chat_batched(self, messages, tools, params: SamplingParams, timeout_s: float | None) -> ModelResponse:
        from clawgym.models._batch import GenRequest

        prompt_ids = self.encode_prompt(messages, tools)
        n_prompt = len(prompt_ids)
        max_new = params.max_tokens or self.default_max_tokens
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit is not None and n_prompt >= limit:
            raise ContextLengthError(f"prompt of {n_prompt} tokens does not fit {self.name}'s {limit}")
        if limit is not None:
            max_new = min(max_new, limit - n_prompt)
        deadline = time.monotonic() + max(timeout_s, 0.01) if timeout_s is not None else None
        out = self.engine().generate(GenRequest(
            prompt_ids=prompt_ids, max_new_tokens=max_new, temperature=float(params.temperature or 0),
            top_p=params.top_p, seed=params.seed, stop=params.stop, deadline=deadline))
        content, calls = parse_text_tool_calls(self._decode(out.token_ids))
        return ModelResponse(content=content or None, tool_calls=calls,
                             finish_reason="tool_calls" if calls else out.finish_reason,
                             usage=Usage(prompt_tokens=n_prompt, completion_tokens=len(out.token_ids)),
                             token_ids=out.token_ids, logprobs=out.logprobs, prompt_token_ids=prompt_ids)


def _batchable(model: Any) -> bool:
    """The engine keeps a plain (full-attention) KV cache: sliding-window and recurrent models
    fall back to one `generate()` at a time."""
    cfg = getattr(model, "config", None)
    if cfg is None or getattr(cfg, "is_encoder_decoder", False):
        return False
    types = getattr(cfg, "layer_types", None)
    if types:
        return all(t == "full_attention" for t in types)
    return not (getattr(cfg, "sliding_window", None) and getattr(cfg, "use_sliding_window", True))
