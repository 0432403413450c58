"""`clawgym train ...`: fine-tune on what was run. `train sft` trains on run folders' trajectories."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Optional

import typer

from clawgym.cli._common import _fail, app, err, out

train_app = typer.Typer(help="Train on trajectories (SFT with TRL; `train sft`).", no_args_is_help=True)
app.add_typer(train_app, name="train")


@train_app.command("sft")
def train_sft_cmd(
    runs: Annotated[Optional[list[Path]], typer.Argument(help="Run folders whose trajectories are the data.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Base model: hf:PATH or smollm2.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help=(
        "Checkpoint folder; `--model hf:OUT` loads it back into runs."))] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help=(
        "TOML file of SFTTrainConfig settings; flags given here override it."))] = None,
    min_score: Annotated[Optional[float], typer.Option(help="Keep trajectories scoring at least this (default 1.0).")] = None,
    max_length: Annotated[Optional[int], typer.Option(help="Drop examples longer than this many tokens (2048).")] = None,
    epochs: Annotated[Optional[float], typer.Option(help="Passes over the data (3).")] = None,
    max_steps: Annotated[Optional[int], typer.Option(help="Optimizer steps; overrides --epochs.")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate (5e-5).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Examples per device step (1).")] = None,
    grad_accum: Annotated[Optional[int], typer.Option(help="Gradient accumulation steps (1).")] = None,
    lora: Annotated[Optional[bool], typer.Option("--lora/--full", help="Train a LoRA adapter (merged at save).")] = None,
    tool_format: Annotated[Optional[str], typer.Option(help=(
        "auto (the template's own tool format when it has one), native, or text (<tool_call>{json}</tool_call>)."))] = None,
    export_jsonl: Annotated[Optional[Path], typer.Option(help=(
        "Also write the examples as OpenAI-messages JSONL (for OpenRLHF)."))] = None,
    seed: Annotated[Optional[int], typer.Option(help="Training seed (0).")] = None,
) -> None:
    """Supervised fine-tuning on run folders' trajectories (assistant turns only), with TRL."""
    from clawgym.errors import ClawGymError
    from clawgym.train import LoraSpec, SFTTrainConfig, train_sft

    try:
        cfg = SFTTrainConfig.from_toml(config) if config else SFTTrainConfig()
        over = {"model": model, "output_dir": str(out_dir) if out_dir else None, "max_length": max_length,
                "epochs": epochs, "max_steps": max_steps, "learning_rate": lr, "batch_size": batch_size,
                "grad_accum": grad_accum, "tool_format": tool_format, "seed": seed,
                "export_jsonl": str(export_jsonl) if export_jsonl else None}
        cfg = dataclasses.replace(cfg, **{k: v for k, v in over.items() if v is not None})
        if runs:
            cfg.runs = [str(r) for r in runs]
        if min_score is not None:
            cfg.data = dataclasses.replace(cfg.data, min_score=min_score)
        if lora is not None:
            cfg.lora = (cfg.lora or LoraSpec()) if lora else None
        if cfg.tool_format not in ("auto", "native", "text"):
            _fail(f"--tool-format must be auto, native or text, got {cfg.tool_format!r}")
        if not cfg.runs:
            _fail("give at least one run folder (clawgym train sft RUNDIR... --model smollm2 --out DIR)")
        for r in cfg.runs:
            if not Path(r, "run.sqlite").is_file():
                _fail(f"{r} is not a run folder (no run.sqlite); give the --out folder of `clawgym run`")

        def on_log(entry):
            if "loss" in entry:
                err.print(f"step {entry['step']}: loss {entry['loss']:.4f}", highlight=False)

        err.print(f"training {cfg.model} on {len(cfg.runs)} run folder(s) -> {cfg.output_dir}")
        res = train_sft(cfg, on_log=on_log)
    except ClawGymError as exc:
        _fail(str(exc))
        return
    stats = ", ".join(f"{k} {v}" for k, v in sorted(res.data_stats.items()))
    out.print(f"trained {res.steps} steps on {res.examples} examples ({stats}); "
              f"{res.tokens} tokens in {res.seconds:.1f} s ({res.tokens_per_s:.0f} tokens/s); "
              f"final loss {res.train_loss if res.train_loss is None else round(res.train_loss, 4)}", highlight=False)
    out.print(f"checkpoint: {res.output_dir}  (use --model hf:{res.output_dir})", highlight=False)
