"""Supervised fine-tuning on trajectories with TRL's `SFTTrainer` (optionally PEFT LoRA).

    cfg = SFTTrainConfig.from_toml("sft.toml")      # or SFTTrainConfig(runs=[...], model="smollm2", ...)
    result = train_sft(cfg)                          # -> checkpoint in cfg.output_dir
    model = clawgym.models.load_model(f"hf:{result.output_dir}")   # straight back into runs

The dataset is tokenized here (`tokenize_sft_dataset`: the inference-time rendering, an
assistant-only mask); TRL receives `input_ids` + `assistant_masks` and only builds labels, pads
and trains. A LoRA adapter is merged into the weights before saving, so the checkpoint is a plain
Hugging Face model folder (config, safetensors, tokenizer with its chat template).
"""

from __future__ import annotations

import dataclasses
import json
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgym.errors import ClawGymError
from clawgym.train._data import SFTDataConfig, ToolFormat, build_sft_dataset, tokenize_sft_dataset


class SFTConfigError(ClawGymError):
    """A training configuration that cannot work (unknown key, bad value)."""


@dataclass
class LoraSpec:
    """PEFT LoRA; merged into the base weights when training ends."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"


@dataclass
class SFTTrainConfig:
    """Everything `clawgym train sft` does, as one dataclass (TOML: the same keys; `[data]` and
    `[lora]` tables for the nested ones)."""

    runs: list[str] = field(default_factory=list)
    """Run folders whose trajectories are the training data."""
    model: str = "smollm2"
    """The base model: `hf:PATH` or `smollm2`."""
    output_dir: str = "sft-out"
    data: SFTDataConfig = field(default_factory=SFTDataConfig)
    tool_format: ToolFormat = "auto"
    max_length: int | None = 2048
    """Longest example in tokens; longer ones are dropped, never cut."""
    epochs: float = 3.0
    max_steps: int = -1
    """Optimizer steps (overrides epochs when > 0)."""
    learning_rate: float = 5e-5
    lr_scheduler: str = "cosine"
    warmup_steps: float = 0
    """Warm-up optimizer steps, or a fraction of all steps when below 1."""
    weight_decay: float = 0.0
    batch_size: int = 1
    grad_accum: int = 1
    seed: int = 0
    logging_steps: int = 1
    save_steps: int | None = None
    """Intermediate checkpoints every N steps (None: only the final model)."""
    gradient_checkpointing: bool = False
    bf16: bool = False
    padding_free: bool = False
    lora: LoraSpec | None = None
    export_jsonl: str | None = None
    """Also write the selected examples as OpenAI-messages JSONL here."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SFTTrainConfig":
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise SFTConfigError(f"unknown SFT setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        try:
            if isinstance(data.get("data"), dict):
                d = dict(data["data"])
                for k in ("statuses", "stop_reasons"):
                    if isinstance(d.get(k), list):
                        d[k] = tuple(d[k])
                data["data"] = SFTDataConfig(**d)
            if isinstance(data.get("lora"), dict):
                data["lora"] = LoraSpec(**data["lora"])
            elif data.get("lora") is True:
                data["lora"] = LoraSpec()
            elif data.get("lora") is False:
                data["lora"] = None
            return cls(**data)
        except TypeError as exc:
            raise SFTConfigError(f"bad SFT configuration: {exc}") from exc

    @classmethod
    def from_toml(cls, path: str | Path) -> "SFTTrainConfig":
        try:
            with open(path, "rb") as fh:
                return cls.from_dict(tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SFTConfigError(f"cannot read the SFT configuration {path}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SFTResult:
    output_dir: str
    examples: int
    steps: int
    train_loss: float | None
    tokens: int
    """Tokens trained on (padding excluded), all epochs."""
    seconds: float
    tokens_per_s: float
    data_stats: dict[str, int]
    log: list[dict[str, Any]] = field(default_factory=list)


def load_base(spec: str) -> tuple[Any, Any]:
    """(transformers model, tokenizer) for `hf:PATH` or `smollm2`, through clawgym.models."""
    from clawgym.models import ModelError, load_model

    if not (spec == "smollm2" or spec.startswith("hf:")):
        raise SFTConfigError(f"SFT trains in-process models: --model hf:PATH or smollm2, got {spec!r}")
    try:
        chat = load_model(spec)
    except (ModelError, OSError) as exc:
        raise SFTConfigError(f"cannot load the base model {spec!r}: {exc}") from exc
    return chat.model, chat.tokenizer  # type: ignore[attr-defined]


def trl_args(cfg: SFTTrainConfig, **over: Any) -> Any:
    """TRL's SFTConfig for our settings (the dataset arrives tokenized, masks included)."""
    import torch
    from trl import SFTConfig

    kw: dict[str, Any] = dict(
        output_dir=cfg.output_dir, num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler, warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, seed=cfg.seed, logging_steps=cfg.logging_steps,
        save_strategy="steps" if cfg.save_steps else "no", save_steps=cfg.save_steps or 500,
        bf16=cfg.bf16, padding_free=cfg.padding_free,
        max_length=None, report_to="none", use_cpu=not torch.cuda.is_available(),
        dataset_kwargs={"skip_prepare_dataset": False}, remove_unused_columns=True,
        disable_tqdm=True, include_num_input_tokens_seen="non_padding",
    )
    if cfg.gradient_checkpointing:
        kw["gradient_checkpointing"] = True
    kw.update(over)
    return SFTConfig(**kw)


def train_sft(cfg: SFTTrainConfig, *, dataset: Any = None, model: Any = None, tokenizer: Any = None,
              callbacks: list[Any] | None = None, on_log: Callable[[dict[str, Any]], None] | None = None
              ) -> SFTResult:
    """Build the data (unless `dataset`, as from `build_sft_dataset`, is given), train, save
    a checkpoint that `hf:OUTPUT_DIR` loads, and report what was done."""
    from transformers import TrainerCallback
    from trl import SFTTrainer

    stats: Counter = Counter()
    if dataset is None:
        if not cfg.runs:
            raise SFTConfigError("no training data: give run folders (runs = [...] or RUNDIR arguments)")
        dataset = build_sft_dataset(cfg.runs, cfg.data, stats)
    if cfg.export_jsonl:
        from clawgym.train._data import export_openai_jsonl

        export_openai_jsonl(dataset, cfg.export_jsonl)
    if model is None or tokenizer is None:
        model, tokenizer = load_base(cfg.model)
    tokenized = tokenize_sft_dataset(dataset, tokenizer, tool_format=cfg.tool_format, max_length=cfg.max_length,
                                     stats=stats)
    lengths = tokenized["length"]
    train_ds = tokenized.select_columns(["input_ids", "assistant_masks"])
    peft_config = None
    if cfg.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                                 target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM")
    log: list[dict[str, Any]] = []

    class _Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):  # noqa: ANN001
            if logs:
                entry = {"step": state.global_step, **logs}
                log.append(entry)
                if on_log is not None:
                    on_log(entry)

    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.train()
    trainer = SFTTrainer(model=model, args=trl_args(cfg), train_dataset=train_ds, processing_class=tokenizer,
                         peft_config=peft_config, callbacks=[_Log(), *(callbacks or [])])
    t0 = time.monotonic()
    out = trainer.train()
    seconds = time.monotonic() - t0
    steps = trainer.state.global_step
    tokens = int(trainer.state.num_input_tokens_seen)
    save_checkpoint(trainer, tokenizer, cfg.output_dir, lora=cfg.lora is not None)
    Path(cfg.output_dir, "clawgym_sft.json").write_text(json.dumps(
        {"config": cfg.to_dict(), "examples": len(lengths), "steps": steps, "tokens": tokens,
         "seconds": round(seconds, 3), "data_stats": dict(stats), "log": log}, indent=2, default=str) + "\n")
    return SFTResult(output_dir=cfg.output_dir, examples=len(lengths), steps=steps,
                     train_loss=getattr(out, "training_loss", None), tokens=tokens, seconds=seconds,
                     tokens_per_s=tokens / seconds if seconds > 0 else 0.0, data_stats=dict(stats), log=log)


def save_checkpoint(trainer: Any, tokenizer: Any, output_dir: str | Path, *, lora: bool) -> None:
    """A plain Hugging Face model folder (LoRA merged), loadable by `hf:output_dir`."""
    model = trainer.model
    if lora:
        model = model.merge_and_unload()
    model.eval()
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
