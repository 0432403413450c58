"""`clawgym run` (tasks x samples into a crash-safe run folder) and `clawgym report`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from clawgym.cli._common import Agg, FormatOpt, ModelOpt, SrcFormat, _fail, _load, app, err, out
from clawgym.errors import ClawGymError


@app.command("run")
def run_cmd(src: Annotated[Optional[Path], typer.Argument(help="Tasks to run (default: the built-in starter suite).")] = None,
            agent: Annotated[str, typer.Option("--agent", "-a", envvar="CLAWGYM_AGENT", help="llm, oracle or noop.")] = "llm",
            model: ModelOpt = None,
            samples: Annotated[int, typer.Option("--samples", "-k", min=1, help="Attempts per task.")] = 1,
            concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, envvar="CLAWGYM_CONCURRENCY",
                                                     help="Attempts (sandboxes) at once.")] = 2,
            model_concurrency: Annotated[Optional[int], typer.Option(
                min=1, help="Model calls at once (default: no limit beyond --concurrency).")] = None,
            out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", envvar="CLAWGYM_OUT", help="Run folder (default runs/<time>).")] = None,
            resume: Annotated[bool, typer.Option(help="Finish the run in --out: nothing done twice.")] = False,
            force: Annotated[bool, typer.Option(help="Resume even if the configuration changed.")] = False,
            executor: Annotated[str, typer.Option(envvar="CLAWGYM_EXECUTOR", help="local or ray.")] = "local",
            ray_address: Annotated[Optional[str], typer.Option(envvar="RAY_ADDRESS", help="A Ray cluster to use.")] = None,
            max_steps: Annotated[Optional[int], typer.Option(min=1, help="Most model turns per attempt.")] = None,
            timeout: Annotated[Optional[float], typer.Option(help="Agent wall time per attempt, seconds.")] = None,
            temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature.")] = None,
            turn_tokens: Annotated[Optional[int], typer.Option(help="Most tokens per model turn.")] = None,
            max_tokens: Annotated[Optional[int], typer.Option(help="Total tokens per attempt.")] = None,
            seed: Annotated[Optional[int], typer.Option(help="Sampling seed.")] = None,
            aggregation: Annotated[Agg, typer.Option(help="Score aggregation (see verify).")] = Agg.default,
            sandbox: Annotated[str, typer.Option(envvar="CLAWGYM_SANDBOX", help="bwrap or process.")] = "bwrap",
            judge_model: Annotated[Optional[str], typer.Option(envvar="CLAWGYM_JUDGE_MODEL",
                                                              help="Model spec of the rubric judge.")] = None,
            judge_votes: Annotated[int, typer.Option(min=1, help="Judge votes per rubric rule (median).")] = 1,
            fmt: FormatOpt = SrcFormat.auto):
    """Run an agent over a task suite and write report.html.

    Tasks x samples, each attempt in its own sandbox, verified, stored crash-safely in --out.

    With no arguments: the built-in starter suite with the embedded SmolLM2 model."""
    import time as _time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from clawgym.runs import ConfigMismatch, RunConfig, execute, summarize, summary_tables, write_report

    if src is None:
        from clawgym.starter import STARTER_DIR

        src = STARTER_DIR
        if agent == "llm" and model is None:
            model = "smollm2"
            # budgets sized so the whole suite fits in ~3 minutes on 2 CPU cores
            max_steps = max_steps or 3
            turn_tokens = turn_tokens or 64
    if agent == "llm" and not model:
        _fail("the llm agent needs --model (e.g. --model smollm2 or --model openai:NAME)")
    tasks = _load(src, fmt)
    if out_dir is None:
        if resume:
            _fail("--resume needs --out RUNDIR")
        out_dir = Path("runs") / _time.strftime("%Y%m%d-%H%M%S")
    elif out_dir.exists() and any(out_dir.iterdir()) and not resume:
        _fail(f"{out_dir} already holds a run: pass --resume to finish it, or choose another --out")
    config = RunConfig(tasks=str(src), task_ids=[t.id for t in tasks], agent=agent, model=model if agent == "llm" else None,
                       samples=samples, max_steps=max_steps, timeout_s=timeout, temperature=temperature,
                       turn_tokens=turn_tokens, max_tokens=max_tokens, seed=seed, aggregation=aggregation.value,
                       sandbox=sandbox, judge_model=judge_model, judge_votes=judge_votes)
    state = {"done": 0, "running": 0, "score": 0.0}
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("running {task.fields[running]}  mean {task.fields[mean]}"), TimeRemainingColumn(),
                  console=err, transient=False, disable=not err.is_terminal) as progress:
        bar = progress.add_task("run", total=None, running=0, mean="-")

        def on(kind: str, data: dict) -> None:
            if kind == "start":
                finished = [r for r in data["rows"] if r.state in ("done", "agent_error", "infra_error")]
                state["done"], state["score"] = len(finished), sum(r.score or 0 for r in finished)
                progress.update(bar, total=data["total"], completed=state["done"])
                if not err.is_terminal:
                    err.print(f"{data['pending']} of {data['total']} attempt(s) to run")
            elif kind == "running":
                state["running"] += 1
            elif kind == "retry":
                state["running"] -= 1
                err.print(f"[yellow]retrying {data['task_id']} #{data['sample']}: {escape(str(data['error']))[:200]}[/yellow]")
            elif kind == "done":
                t = data["traj"]
                state["running"] -= 1
                state["done"] += 1
                state["score"] += t.score
                if not err.is_terminal:
                    err.print(f"[{state['done']}] {t.task_id} #{t.sample}: {t.score:.3f} ({t.status}, {t.stop_reason})",
                              highlight=False)
            mean = f"{state['score'] / state['done']:.3f}" if state["done"] else "-"
            progress.update(bar, completed=state["done"], running=max(state["running"], 0), mean=mean)

        try:
            store = execute(tasks, config, out_dir, concurrency=concurrency, model_concurrency=model_concurrency,
                            executor=executor, ray_address=ray_address, force=force, progress=on)
        except ConfigMismatch as exc:
            _fail(str(exc))
        except (ClawGymError, ValueError) as exc:
            _fail(str(exc))
    rows, wall = store.rows(), store.wall_s()
    store.close()
    for table in summary_tables(out_dir.name, summarize(rows, wall)):
        out.print(table)
    report = write_report([out_dir])
    err.print(f"run folder {out_dir}; report {report}")


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
               compare: Annotated[Optional[list[Path]], typer.Option("--compare", help="Other runs to show beside it.")] = None,
               as_json: Annotated[bool, typer.Option("--json", help="One JSON object per attempt per line.")] = False,
               out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the HTML.")] = None):
    """Print a run's results and write a self-contained report.html (runs side by side with --compare)."""
    from clawgym.runs import RunStore, summarize, summary_tables, write_report

    dirs = [run_dir, *(compare or [])]
    for d in dirs:
        if not (d / RunStore.DB).is_file():
            _fail(f"{d} is not a run folder (no {RunStore.DB})")
    if as_json:
        with RunStore(run_dir) as store:
            for r in store.rows():
                print(json.dumps(r.report_json()))
        return
    for d in dirs:
        with RunStore(d) as store:
            for table in summary_tables(d.name, summarize(store.rows(), store.wall_s())):
                out.print(table)
    err.print(f"report written to {write_report(dirs, out_file)}")
