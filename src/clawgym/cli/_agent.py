"""`clawgym agent` (one rollout, streamed) and `clawgym serve` (a model over HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from clawgym.cli._common import (
    Agg, FromOpt, ModelOpt, ModelTimeoutOpt, RequestTimeoutOpt, SrcArg, SrcFormat, _fail, _load, _model, _select, app, err,
    out,
)
from clawgym.errors import ClawGymError


class _Printer:
    """Streams a rollout readably: who said what, which tool ran, what came back."""

    def __init__(self, show: bool):
        self.show = show

    def __call__(self, kind: str, data: dict) -> None:
        if not self.show:
            return
        if kind == "user":
            err.rule("[bold]task")
            err.print(escape(data["content"][:2000]), highlight=False)
        elif kind == "assistant":
            if data["content"]:
                err.print(f"[bold cyan]assistant:[/bold cyan] {escape(data['content'][:2000])}", highlight=False)
            for c in data["tool_calls"]:
                err.print(f"[bold magenta]→ {escape(c['name'] or '?')}[/bold magenta] {escape(c['arguments'][:500])}",
                          highlight=False)
        elif kind == "tool":
            style = "red" if data["is_error"] else "dim"
            err.print(f"[{style}]{escape(data['content'][:1500])}[/{style}]", highlight=False)


@app.command("agent")
def agent_cmd(src: SrcArg,
              task: Annotated[Optional[str], typer.Option("--task", "-t", help="Task id (needed when SRC has several).")] = None,
              model: ModelOpt = None,
              agent: Annotated[str, typer.Option("--agent", "-a", help=(
                  "llm, oracle, noop, openclaw or module:Class (the names `clawgym run` takes)."))] = "llm",
              max_steps: Annotated[Optional[int], typer.Option(min=1, help="Most model turns (default: the task's, else 30).")] = None,
              timeout: Annotated[Optional[float], typer.Option(
                  min=0.001, help="Agent wall time in seconds, model calls included (default: the task's, else 600).")] = None,
              request_timeout: RequestTimeoutOpt = None,
              model_timeout: ModelTimeoutOpt = None,
              max_tokens: Annotated[Optional[int], typer.Option(help="Total token budget over all turns.")] = None,
              temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature.")] = None,
              turn_tokens: Annotated[Optional[int], typer.Option(help="Most tokens per model turn.")] = None,
              seed: Annotated[Optional[int], typer.Option(help="Sampling seed.")] = None,
              show: Annotated[bool, typer.Option("--show/--quiet", help="Stream the trajectory to the terminal.")] = True,
              out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Append the trajectory to this JSONL.")] = None,
              aggregation: Annotated[Agg, typer.Option(help="Score aggregation (see verify).")] = Agg.default,
              sandbox: Annotated[str, typer.Option(help="bwrap, process, docker or module:Class.")] = "bwrap",
              from_: FromOpt = SrcFormat.auto):
    """Run one rollout of an agent on one task, stream it, save the trajectory and print the scores."""
    from clawgym import registry
    from clawgym.agent import AgentConfig, rollout
    from clawgym.jsonl import append_jsonl
    from clawgym.models import SamplingParams

    tasks = _load(src, from_)
    tasks = _select(tasks, task, src)
    if len(tasks) != 1:
        _fail(f"{src} has {len(tasks)} tasks: pass --task ID")
    try:  # the one registry, as `clawgym run` does: a name works in both commands or in neither
        registry.check("agent", agent)
        registry.check("sandbox", sandbox)
        wants_model = registry.needs_model(agent)
    except registry.RegistryError as exc:
        _fail(str(exc))
    if wants_model and not model and ":" not in agent:
        _fail(f"the {agent} agent needs --model (e.g. --model smollm2 or --model openai:NAME)")
    config = AgentConfig(max_steps=max_steps, timeout_s=timeout, max_tokens=max_tokens,
                         sampling=SamplingParams(temperature=temperature, max_tokens=turn_tokens, seed=seed))
    try:
        the_model = _model(model, request_timeout, model_timeout) if model and wants_model else None
        the_agent = registry.make_agent(agent, the_model, config)
        traj = rollout(tasks[0], the_agent, backend=sandbox, aggregation=aggregation.value,
                       on_event=_Printer(show))
    except (ClawGymError, ValueError) as exc:
        _fail(str(exc))
    out_file = out_file or Path("trajectories.jsonl")
    append_jsonl(out_file, traj)
    v = traj.verification
    table = Table("task", "status", "stop", "steps", "tokens", "score", "checks passed", title="rollout")
    passed = sum(1 for x in v.checks.values() if x >= 1) if v else 0
    table.add_row(traj.task_id, traj.status, traj.stop_reason or "-", str(len(traj.steps)), str(traj.usage.total),
                  f"{traj.score:.3f}" + ("" if not v or v.status == "ok" else f" ({v.status})"),
                  f"{passed}/{len(v.checks) if v else 0}")
    out.print(table)
    if traj.error:
        err.print(f"[red]{escape(traj.error)}[/red]")
    if v and v.checks:
        failed = [k for k, x in v.checks.items() if x < 1]
        if failed:
            out.print("failed checks: " + ", ".join(failed), highlight=False)
    err.print(f"trajectory appended to {out_file}")


@app.command("serve")
def serve_cmd(model: Annotated[str, typer.Option("--model", "-m", help="Model spec to serve.")],
              port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
              host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1"):
    """Serve a model as an OpenAI-compatible chat-completions endpoint (tool calls included)."""
    from clawgym.models import serve

    the_model = _model(model)
    err.print(f"serving {the_model.name} at http://{host}:{port}/v1 (Ctrl-C to stop)")
    serve(the_model, host=host, port=port)
