"""`clawgym demo`: ClawGym in miniature (synthesize -> evaluate base -> teacher -> SFT -> evaluate
-> report). The pipeline is `clawgym.train._demo.run_demo`; this layer shows progress and prints."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from clawgym.cli._common import app, err, out


@app.command("demo")
def demo_cmd(out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Demo folder (default runs/demo-<time>).")] = None,
             model: Annotated[str, typer.Option("--model", "-m", help="Base model: smollm2 or hf:PATH.")] = "smollm2",
             families: Annotated[Optional[list[str]], typer.Option("--family", help="A train family (repeatable; default ini_config_edit, fix_function_bug).")] = None,
             heldout_families: Annotated[Optional[list[str]], typer.Option("--heldout-family", help="A held-out family (repeatable; default batch_rename).")] = None,
             difficulty: Annotated[str, typer.Option(help="Task difficulty: easy, medium, hard or mixed (each family's own mix).")] = "easy",
             train_tasks: Annotated[int, typer.Option(min=1, help="Train-split family tasks (teacher trajectories).")] = 48,
             heldout_tasks: Annotated[int, typer.Option(min=0, help="Held-out seeds of the train families.")] = 32,
             heldout_family_tasks: Annotated[int, typer.Option(min=0, help="Tasks of held-out families.")] = 8,
             sft_steps: Annotated[int, typer.Option(min=1, help="Most SFT optimizer steps.")] = 400,
             sft_seconds: Annotated[float, typer.Option(help="SFT wall-time budget in seconds (0: exactly --sft-steps).")] = 270.0,
             lr: Annotated[float, typer.Option("--lr", help="SFT learning rate.")] = 2e-4,
             max_length: Annotated[int, typer.Option(help="Longest SFT example in tokens (longer ones are dropped).")] = 1536,
             tools: Annotated[str, typer.Option(help="The agent's tools in every phase, comma-separated.")] = "read,edit,exec",
             full_tools: Annotated[bool, typer.Option("--full-tool-schemas", help="Advertise full tool schemas (default: compact).")] = False,
             max_steps: Annotated[int, typer.Option(min=1, help="Most model turns per attempt (teacher, SFT data, GRPO, evaluation).")] = 5,
             turn_tokens: Annotated[int, typer.Option(min=1, help="Most tokens per model turn (every phase).")] = 160,
             grpo_steps: Annotated[int, typer.Option(min=0, help="GRPO steps from the SFT checkpoint (0: no GRPO phase).")] = 0,
             grpo_generations: Annotated[int, typer.Option(min=2, help="Rollouts per task per GRPO step.")] = 4,
             grpo_lr: Annotated[float, typer.Option("--grpo-lr", help="GRPO learning rate.")] = 2e-6,
             device: Annotated[str, typer.Option(help="Where SFT and GRPO train: auto, cpu or cuda[:N].")] = "auto",
             concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, help="Attempts at once.")] = 16,
             seed: Annotated[int, typer.Option(help="Task and sampling seed.")] = 0,
             sandbox: Annotated[str, typer.Option(help="Sandbox backend.")] = "bwrap"):
    """ClawGym in miniature: synthesize family tasks, evaluate the base model on held-out tasks,
    collect teacher trajectories on train tasks, fine-tune (SFT; optionally GRPO after it), evaluate
    again, and write one report (before/after table with intervals, tool use, trajectories side by
    side, plot). About 10 minutes on 2 idle CPU cores with the defaults."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from clawgym.errors import ClawGymError
    from clawgym.runs import AttemptDone, RunInterrupted, RunStarted
    from clawgym.train import (DemoConfig, DemoEvent, GRPOLog, PhaseDone, PhaseRun, PhaseStarted, RunSummary, SFTData,
                               SFTLog, demo_listener, rich_table, run_demo)

    cfg = DemoConfig(out=str(out_dir) if out_dir else None, model=model, families=families or None,
                     heldout_families=heldout_families or None,
                     difficulty=None if difficulty == "mixed" else difficulty, train_tasks=train_tasks,
                     heldout_tasks=heldout_tasks, heldout_family_tasks=heldout_family_tasks, sft_steps=sft_steps,
                     sft_seconds=sft_seconds or None, learning_rate=lr, max_length=max_length,
                     tools=[t.strip() for t in tools.split(",") if t.strip()], compact_tools=not full_tools,
                     max_steps=max_steps, turn_tokens=turn_tokens, grpo_steps=grpo_steps,
                     grpo_generations=grpo_generations, grpo_learning_rate=grpo_lr, concurrency=concurrency,
                     seed=seed, sandbox=sandbox, device=device)
    t0 = time.monotonic()
    tty = err.is_terminal
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=err, disable=not tty) as progress:
        bars: dict[str, int] = {}
        state = {"done": 0, "score": 0.0}

        def bar(name: str, total: int | None) -> int:
            if name not in bars:
                bars[name] = progress.add_task(name, total=total, info="")
            return bars[name]

        def on(event: DemoEvent) -> None:
            match event:
                case PhaseStarted(name=name, index=index, total=total):
                    err.print(f"[bold cyan][{index}/{total}] {name}[/bold cyan] "
                              f"(at {time.monotonic() - t0:.0f} s)", highlight=False)
                case PhaseDone(name=name, seconds=seconds):
                    err.print(f"    {name}: {seconds:.1f} s", highlight=False)
                case PhaseRun(phase=name, event=RunStarted(total=total)):
                    state["done"], state["score"] = 0, 0.0
                    bar(name, total)
                case PhaseRun(phase=name, event=AttemptDone(traj=t)):
                    state["done"] += 1
                    state["score"] += t.score
                    progress.update(bar(name, None), advance=1, info=f"mean {state['score'] / state['done']:.3f}")
                    if not tty:
                        err.print(f"    {t.task_id}: {t.score:.3f} ({t.status}, {t.stop_reason})", highlight=False)
                case SFTLog(total=total) if "loss" in (event.model_extra or {}):
                    log = event.model_extra or {}
                    progress.update(bar("SFT", total), completed=log.get("step", 0), info=f"loss {float(log['loss']):.3f}")
                    if not tty:
                        err.print(f"    SFT step {log.get('step')}/{total}: loss {float(log['loss']):.3f}",
                                  highlight=False)
                case SFTData(examples=examples, dropped=dropped):
                    shown = {k: v for k, v in dropped.items() if k not in ("seen", "kept") and v}
                    err.print(f"    SFT examples: {examples}"
                              + (f" (dropped: {', '.join(f'{k} {v}' for k, v in shown.items())})" if shown else ""),
                              highlight=False)
                case GRPOLog(total=total) if "reward" in (event.model_extra or {}):
                    log = event.model_extra or {}
                    progress.update(bar("GRPO", total), completed=log.get("step", 0),
                                    info=f"reward {float(log['reward']):.3f}")
                    if not tty:
                        err.print(f"    GRPO step {log.get('step')}/{total}: reward {float(log['reward']):.3f}",
                                  highlight=False)
                case RunSummary(phase=name, summary=s):
                    err.print(f"    {name}: {s['finished']} attempt(s), mean {s['mean_score']:.3f}, "
                              f"pass {s['pass_rate']:.0%}", highlight=False)

        try:
            result = run_demo(cfg, demo_listener(on))
        except (KeyboardInterrupt, RunInterrupted):
            progress.stop()
            err.print("[red]interrupted[/red]")
            raise typer.Exit(130)
        except ClawGymError as exc:
            progress.stop()
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    out.print(rich_table(result.table))
    err.print("phases: " + ", ".join(f"{k} {v:.0f} s" for k, v in result.phases.items())
              + f"; total {time.monotonic() - t0:.0f} s", highlight=False)
    err.print(f"demo folder {result.folder}; report {result.report}")
