"""Supervised fine-tuning on trajectories with TRL's `SFTTrainer` (optionally PEFT LoRA).

    cfg = SFTTrainConfig.from_toml("sft.toml")      # or SFTTrainConfig(runs=[...], model="smollm2", ...)
    result = train_sft(cfg)                          # -> checkpoint in cfg.output_dir
    model = clawgym.models.load_model(f"hf:{result.output_dir}")   # straight back into runs

The dataset is tokenized here (`tokenize_sft_dataset`: the inference-time rendering, an
assistant-only mask); TRL receives `input_ids` + `assistant_masks` and only builds labels, pads
and trains. A LoRA adapter is merged into the weights before saving, so the checkpoint is a plain
Hugging Face model folder (config, safetensors, tokenizer with its chat template).

Nothing is spent for nothing (`benchmarks/train_sft_throughput.py` measures the path against a
plain PyTorch loop): gradient checkpointing is off unless asked for (TRL's default turns it on,
recomputing every forward pass), the first warm-up step already trains (a linear warm-up from
1/(w+1), not from a learning rate of 0), examples of a batch are grouped by length (little
padding), `num_threads` sets torch's CPU threads, and `device` places the model (`auto`: a GPU
when one is visible, bf16 mixed precision where it supports it, fp32 on CPU). Examples dropped as
longer than `max_length` are logged and returned (`SFTResult.dropped_too_long`), never silent.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgym.errors import ClawGymError
from clawgym.train._data import SFTDataConfig, ToolFormat, build_sft_dataset, tokenize_sft_dataset

log_ = logging.getLogger("clawgym.train.sft")


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
    """Recompute activations in the backward pass (less memory, ~30 % more compute); off unless asked."""
    bf16: bool | None = None
    """bf16 mixed precision; None: on where the device supports it (a recent GPU), off on CPU."""
    padding_free: bool = False
    """TRL's padding-free batches (needs a flash-attention model for exact attention; batch 1 has no padding anyway)."""
    device: str = "auto"
    """Where to train: auto (a GPU when one is visible, else cpu), cpu, cuda or cuda:N."""
    num_threads: int | None = None
    """torch CPU threads (None: torch's default, one per physical core)."""
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
    dropped_too_long: int = 0
    """Examples left out as longer than max_length (also logged, and in data_stats)."""
    device: str = "cpu"


def load_base(spec: str, device: str | Any = "auto") -> tuple[Any, Any]:
    """(transformers model, tokenizer) for `hf:PATH` or `smollm2`, through clawgym.models, on
    `device` in float32 (the weights a trainer updates; bf16 comes in as autocast)."""
    from clawgym.models import ModelError, load_model

    if not (spec == "smollm2" or spec.startswith("hf:")):
        raise SFTConfigError(f"SFT trains in-process models: --model hf:PATH or smollm2, got {spec!r}")
    try:
        chat = load_model(spec, device=device, dtype="float32")
    except (ModelError, OSError) as exc:
        raise SFTConfigError(f"cannot load the base model {spec!r}: {exc}") from exc
    return chat.model, chat.tokenizer  # type: ignore[attr-defined]


def train_device(spec: str | Any) -> tuple[Any, bool]:
    """(torch.device, whether bf16 mixed precision is available there) for a trainer; a
    `cuda:N` becomes the current CUDA device (the Trainer places the model on "cuda")."""
    import torch

    from clawgym.models import ModelError, resolve_device, resolve_dtype

    try:
        dev = resolve_device(spec)
    except ModelError as exc:
        raise SFTConfigError(str(exc)) from exc
    if dev.type == "cuda" and dev.index is not None:
        torch.cuda.set_device(dev)
    return dev, resolve_dtype(dev) == torch.bfloat16


def checkpointing_args(config_cls: Any, on: bool) -> dict[str, Any]:
    """Gradient checkpointing said explicitly (TRL defaults it to on), under the name this
    transformers uses (`activation_checkpointing` since 5.x, `gradient_checkpointing` before)."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    kw = {"gradient_checkpointing": on}
    if "activation_checkpointing" in names:
        kw["activation_checkpointing"] = on
    return kw


def trl_args(cfg: SFTTrainConfig, **over: Any) -> Any:
    """TRL's SFTConfig for our settings (the dataset arrives tokenized, masks included)."""
    from trl import SFTConfig

    dev, bf16_ok = train_device(cfg.device)
    kw: dict[str, Any] = dict(
        output_dir=cfg.output_dir, num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler, warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, seed=cfg.seed, logging_steps=cfg.logging_steps,
        save_strategy="steps" if cfg.save_steps else "no", save_steps=cfg.save_steps or 500,
        bf16=bf16_ok if cfg.bf16 is None else cfg.bf16, padding_free=cfg.padding_free,
        max_length=None, report_to="none", use_cpu=dev.type == "cpu",
        dataset_kwargs={"skip_prepare_dataset": False}, remove_unused_columns=True,
        disable_tqdm=True, include_num_input_tokens_seen="non_padding",
        **checkpointing_args(SFTConfig, cfg.gradient_checkpointing),
    )
    if cfg.batch_size > 1:  # batches of similar lengths: little padding
        names = {f.name for f in dataclasses.fields(SFTConfig)}
        if "train_sampling_strategy" in names:
            kw["train_sampling_strategy"] = "group_by_length"
        elif "group_by_length" in names:
            kw["group_by_length"] = True
    kw.update(over)
    return SFTConfig(**kw)


def warmup_from_first_step(scheduler_type: str, optimizer: Any, warmup: int, total: int,
                           kwargs: dict[str, Any] | None = None) -> Any:
    """transformers' schedule of that type, except that warm-up step k (0-based) has the learning
    rate (k+1)/(w+1) of the peak instead of k/w: its first step is not spent at a rate of 0 (with
    a warm-up of 0.1 over 16 steps, TRL's first step trains nothing)."""
    import torch
    from transformers import get_scheduler

    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    base = get_scheduler(scheduler_type, dummy, num_warmup_steps=warmup, num_training_steps=total,
                         scheduler_specific_kwargs=kwargs or None).lr_lambdas[0]

    def factor(step: int) -> float:
        return (step + 1) / (warmup + 1) if step < warmup else base(step)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _trainer_class() -> Any:
    from trl import SFTTrainer

    class Trainer(SFTTrainer):
        """TRL's SFTTrainer with a warm-up whose first step trains (`warmup_from_first_step`)."""

        def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
            if self.lr_scheduler is None:
                warmup = self.args.get_warmup_steps(num_training_steps)
                if warmup > 0:
                    self.lr_scheduler = warmup_from_first_step(
                        str(getattr(self.args.lr_scheduler_type, "value", self.args.lr_scheduler_type)),
                        optimizer or self.optimizer, warmup, num_training_steps,
                        self.args.lr_scheduler_kwargs if isinstance(self.args.lr_scheduler_kwargs, dict) else None)
                    self._created_lr_scheduler = True
                    return self.lr_scheduler
            return super().create_scheduler(num_training_steps, optimizer)

    return Trainer


def train_sft(cfg: SFTTrainConfig, *, dataset: Any = None, model: Any = None, tokenizer: Any = None,
              callbacks: list[Any] | None = None, on_log: Callable[[dict[str, Any]], None] | None = None
              ) -> SFTResult:
    """Build the data (unless `dataset`, as from `build_sft_dataset`, is given), train, save
    a checkpoint that `hf:OUTPUT_DIR` loads, and report what was done."""
    import torch
    from transformers import TrainerCallback

    stats: Counter = Counter()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    if dataset is None:
        if not cfg.runs:
            raise SFTConfigError("no training data: give run folders (runs = [...] or RUNDIR arguments)")
        dataset = build_sft_dataset(cfg.runs, cfg.data, stats)
    if cfg.export_jsonl:
        from clawgym.train._data import export_openai_jsonl

        export_openai_jsonl(dataset, cfg.export_jsonl)
    if model is None or tokenizer is None:
        model, tokenizer = load_base(cfg.model, train_device(cfg.device)[0])
    before = stats["dropped_too_long"]
    tokenized = tokenize_sft_dataset(dataset, tokenizer, tool_format=cfg.tool_format, max_length=cfg.max_length,
                                     stats=stats)
    dropped = stats["dropped_too_long"] - before
    if dropped:
        log_.warning("SFT: %d of %d examples dropped as longer than max_length=%s tokens (never cut); "
                     "raise max_length or shorten the prompts to keep them", dropped, len(dataset), cfg.max_length)
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
    trainer = _trainer_class()(model=model, args=trl_args(cfg), train_dataset=train_ds, processing_class=tokenizer,
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
                     tokens_per_s=tokens / seconds if seconds > 0 else 0.0, data_stats=dict(stats), log=log,
                     dropped_too_long=dropped, device=str(trainer.args.device))


def save_checkpoint(trainer: Any, tokenizer: Any, output_dir: str | Path, *, lora: bool) -> None:
    """A plain Hugging Face model folder (LoRA merged), loadable by `hf:output_dir`."""
    model = trainer.model
    if lora:
        model = model.merge_and_unload()
    model.eval()
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
