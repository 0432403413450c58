"""`clawgym train ...`: fine-tune on what was run. `train sft` trains on run folders' trajectories."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Optional

import typer

from clawgym.cli._common import _fail, app, err, out

train_app = typer.Typer(help="Train on trajectories (SFT with TRL; `train sft`).", no_args_is_help=True)
app.add_typer(train_app, name="train")


def _check_device(spec: str) -> None:
    from clawgym.models import DEVICE_HELP, ModelError, check_device_spec

    try:
        check_device_spec(spec)
    except ModelError:
        _fail(f"--device must be {DEVICE_HELP}, got {spec!r}")


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
    device: Annotated[Optional[str], typer.Option(help=(
        "Where to train: auto (a GPU when one is visible; bf16 where it supports it), cpu, cuda or cuda:N."))] = None,
    threads: Annotated[Optional[int], typer.Option(help="torch CPU threads (default: one per core).")] = None,
) -> None:
    """Supervised fine-tuning on run folders' trajectories (assistant turns only), with TRL."""
    from clawgym.errors import ClawGymError
    from clawgym.train import LoraSpec, SFTTrainConfig, train_sft

    try:
        cfg = SFTTrainConfig.from_toml(config) if config else SFTTrainConfig()
        over = {"model": model, "output_dir": str(out_dir) if out_dir else None, "max_length": max_length,
                "epochs": epochs, "max_steps": max_steps, "learning_rate": lr, "batch_size": batch_size,
                "grad_accum": grad_accum, "tool_format": tool_format, "seed": seed, "device": device,
                "num_threads": threads, "export_jsonl": str(export_jsonl) if export_jsonl else None}
        cfg = dataclasses.replace(cfg, **{k: v for k, v in over.items() if v is not None})
        if runs:
            cfg.runs = [str(r) for r in runs]
        if min_score is not None:
            cfg.data = dataclasses.replace(cfg.data, min_score=min_score)
        if lora is not None:
            cfg.lora = (cfg.lora or LoraSpec()) if lora else None
        _check_device(cfg.device)
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
    if res.dropped_too_long:
        err.print(f"[yellow]warning:[/yellow] {res.dropped_too_long} example(s) dropped as longer than "
                  f"--max-length {cfg.max_length} tokens (never cut); raise --max-length to keep them")
    stats = ", ".join(f"{k} {v}" for k, v in sorted(res.data_stats.items()))
    out.print(f"trained {res.steps} steps on {res.examples} examples on {res.device} ({stats}); "
              f"{res.tokens} tokens in {res.seconds:.1f} s ({res.tokens_per_s:.0f} tokens/s); "
              f"final loss {res.train_loss if res.train_loss is None else round(res.train_loss, 4)}", highlight=False)
    out.print(f"checkpoint: {res.output_dir}  (use --model hf:{res.output_dir})", highlight=False)


@train_app.command("grpo")
def train_grpo_cmd(
    tasks: Annotated[Optional[Path], typer.Option("--tasks", "-t", help=(
        "Tasks to train on: a task folder, a folder of them, or a JSONL/Parquet dataset."))] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Policy to start from: hf:PATH or smollm2.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help=(
        "Checkpoint folder; `--model hf:OUT` loads it back into runs."))] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help=(
        "TOML file of GRPOTrainConfig settings; flags given here override it."))] = None,
    num_generations: Annotated[Optional[int], typer.Option("--group", "-g", help="Rollouts per task per step (4).")] = None,
    tasks_per_step: Annotated[Optional[int], typer.Option(help="Tasks per optimizer step (1).")] = None,
    max_steps: Annotated[Optional[int], typer.Option(help="Optimizer steps (10).")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate (1e-6).")] = None,
    max_completion_length: Annotated[Optional[int], typer.Option(help=(
        "Tokens per episode after the prompt, model and tool-result tokens together (1024)."))] = None,
    max_turn_tokens: Annotated[Optional[int], typer.Option(help="Tokens per assistant turn (256).")] = None,
    max_env_steps: Annotated[Optional[int], typer.Option(help="Model turns per episode (6).")] = None,
    backend: Annotated[Optional[str], typer.Option(help="Sandbox backend (bwrap).")] = None,
    executor: Annotated[Optional[str], typer.Option(help=(
        "Where episodes' sandbox sessions run: local, or ray (Ray actors; the policy stays here)."))] = None,
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster address for --executor ray.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed (0).")] = None,
    device: Annotated[Optional[str], typer.Option(help=(
        "Where the policy trains and samples: auto (a GPU when one is visible), cpu, cuda or cuda:N."))] = None,
) -> None:
    """GRPO with TRL: groups of rollouts in parallel sandboxes, the verifier's score as reward."""
    from clawgym.errors import ClawGymError
    from clawgym.train import GRPOTrainConfig, train_grpo

    try:
        cfg = GRPOTrainConfig.from_toml(config) if config else GRPOTrainConfig()
        over = {"tasks": str(tasks) if tasks else None, "model": model, "output_dir": str(out_dir) if out_dir else None,
                "num_generations": num_generations, "tasks_per_step": tasks_per_step, "max_steps": max_steps,
                "learning_rate": lr, "max_completion_length": max_completion_length,
                "max_turn_tokens": max_turn_tokens, "max_env_steps": max_env_steps, "backend": backend, "seed": seed,
                "executor": executor, "ray_address": ray_address, "device": device}
        cfg = dataclasses.replace(cfg, **{k: v for k, v in over.items() if v is not None})
        cfg.check()
        if not cfg.tasks:
            _fail("give the tasks to train on (clawgym train grpo --tasks DIR --model smollm2 --out DIR)")

        def on_log(entry):
            if "reward" in entry:
                err.print(f"step {entry['step']}: reward {entry['reward']:.3f}  "
                          f"truncated {entry.get('rollout/truncated_by_max_completion_length', 0):.2f}  "
                          f"turns {entry.get('rollout/turns', 0):.1f}  loss {entry.get('loss', float('nan')):.4f}",
                          highlight=False)

        err.print(f"GRPO on {cfg.tasks} with {cfg.model}: {cfg.max_steps} steps x {cfg.tasks_per_step} task(s) "
                  f"x {cfg.num_generations} rollouts -> {cfg.output_dir}")
        res = train_grpo(cfg, on_log=on_log)
    except ClawGymError as exc:
        _fail(str(exc))
        return
    mean = sum(res.rewards) / len(res.rewards) if res.rewards else float("nan")
    out.print(f"trained {res.steps} GRPO steps in {res.seconds:.1f} s; mean reward {mean:.3f}", highlight=False)
    out.print(f"checkpoint: {res.output_dir}  (use --model hf:{res.output_dir})", highlight=False)
