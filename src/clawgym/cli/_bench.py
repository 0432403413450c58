"""`clawgym bench ...`: calibrate, select, review, build, run, report (leaderboard), view, import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from clawgym.cli._common import FromOpt, SrcFormat, _load, _model, app, err, out
from clawgym.errors import ClawGymError

bench_app = typer.Typer(help="Benchmarks: calibrate difficulty, select and review instances, run, leaderboards, "
                        "a trajectory viewer.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

RunsOpt = Annotated[Optional[list[Path]], typer.Option("--runs", "-r", help="Run folders (repeat).")]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _read_model(path: Path, cls):
    try:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{path} does not exist")
    except ValueError as exc:
        _fail(f"{path} is not a {cls.__name__} file: {str(exc)[:300]}")


def _write(path: Path, text: str) -> None:
    from clawgym.files import atomic_write

    atomic_write(path, text)


@bench_app.command("calibrate")
def calibrate_cmd(pool: Annotated[Path, typer.Argument(help="The task pool.")],
                  runs: RunsOpt = None,
                  agents: Annotated[Optional[list[str]], typer.Option(
                      "--agents", "-a", help="Panel members to run where --runs lack them: a model spec "
                      "(openai:NAME: an llm agent), AGENT=MODEL, noop or oracle (repeat).")] = None,
                  samples: Annotated[int, typer.Option("--samples", "-k", min=1, help="Attempts per task per member.")] = 5,
                  runs_root: Annotated[Path, typer.Option(help="Where new panel runs go.")] = Path("runs/calibration"),
                  concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1)] = 2,
                  sandbox: Annotated[str, typer.Option(help="bwrap, process, docker or module:Class.")] = "bwrap",
                  threshold: Annotated[float, typer.Option(help="A score that counts as a pass.")] = 1.0,
                  ks: Annotated[str, typer.Option("--k", help="pass@k values, comma-separated.")] = "1,5,10",
                  out_file: Annotated[Path, typer.Option("--out", "-o", help="Where to write the calibration.")] = Path(
                      "calibration.json"),
                  from_: FromOpt = SrcFormat.auto):
    """Calibrate task difficulty from a panel of run folders.

    Per task: pass rate per model, unbiased pass@k, score spread, verifier errors, runtime and a
    Rasch difficulty with its standard error. Run folders are only read.

    With --agents, members no --runs folder covers are run first (into --runs-root; resumed
    if interrupted)."""
    from clawgym.bench import PanelMember, calibrate, load_panel, run_missing

    tasks = _load(pool, from_)
    folders = list(runs or [])
    try:
        if agents:
            members = [PanelMember.parse(a) for a in agents]
            folders = run_missing(tasks, members, samples, runs_root, existing=folders, concurrency=concurrency,
                                  sandbox=sandbox)
        cal = calibrate(load_panel(folders, pool=[t.id for t in tasks]), threshold=threshold,
                        ks=[int(k) for k in ks.split(",") if k.strip()])
    except (ClawGymError, ValueError) as exc:
        _fail(str(exc))
    _write(out_file, cal.model_dump_json(indent=1))
    t = Table("model", "attempts", "pass rate", "ability (logit)", title="panel")
    for m in cal.models:
        t.add_row(m.label, str(m.attempts), f"{m.pass_rate:.1%}", f"{m.ability:+.2f} ± {m.ability_se:.2f}")
    out.print(t)
    d = Table("task", "category", "pass rate", "pass@1", "difficulty", "verifier err", title="hardest tasks")
    ranked = sorted((x for x in cal.tasks if x.difficulty is not None), key=lambda x: -x.difficulty)
    for x in ranked[:10]:
        d.add_row(x.task_id, x.category or "-", f"{x.pass_rate:.1%}" if x.pass_rate is not None else "-",
                  f"{x.pass_at_k.get('1', 0):.2f}", f"{x.difficulty:+.2f} ± {x.difficulty_se:.2f}",
                  f"{x.verifier_error_rate:.0%}")
    out.print(d)
    err.print(f"calibration of {len(cal.tasks)} task(s) from {len(folders)} run folder(s) written to {out_file}")


@bench_app.command("select")
def select_cmd(calibration: Annotated[Path, typer.Argument(help="calibration.json from bench calibrate.")],
               pool: Annotated[Optional[Path], typer.Option(help="The task pool (for the near-duplicate check).")] = None,
               qa: Annotated[Optional[Path], typer.Option(help="`clawgym tasks qa --json` output.")] = None,
               target: Annotated[Optional[int], typer.Option(min=1, help="Benchmark size.")] = None,
               max_verifier_error_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
               dup_threshold: Annotated[float, typer.Option(min=0.01, max=1, help="Jaccard for near-duplicates.")] = 0.8,
               out_file: Annotated[Path, typer.Option("--out", "-o")] = Path("selection.json"),
               from_: FromOpt = SrcFormat.auto):
    """Select benchmark instances from a calibration, every decision with its reason.

    Drops broken, nondeterministic, unsolvable, trivial and near-duplicate tasks, then
    stratifies by category x difficulty to --target."""
    from clawgym.bench import Calibration, SelectPolicy, select

    cal = _read_model(calibration, Calibration)
    tasks = _load(pool, from_) if pool else None
    qa_map = {}
    if qa:
        for line in qa.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                qa_map[rec["task_id"]] = rec
    sel = select(cal, tasks, qa=qa_map, policy=SelectPolicy(target=target, dup_threshold=dup_threshold,
                                                            max_verifier_error_rate=max_verifier_error_rate))
    _write(out_file, sel.model_dump_json(indent=1))
    t = Table("stage", "tasks", title="selection")
    for stage, n in sel.counts().items():
        t.add_row(stage, str(n))
    out.print(t)
    for d in sel.decisions:
        if not d.keep and d.stage != "stratify":
            out.print(f"[dim]drop[/dim] {escape(d.task_id)}: {escape(d.reason)}", highlight=False)
    err.print(f"{len(sel.kept)} of {len(sel.decisions)} kept; decisions written to {out_file}")


@bench_app.command("review")
def review_cmd(pool: Annotated[Path, typer.Argument(help="The task pool.")],
               selection: Annotated[Optional[Path], typer.Option(help="Review only the tasks this selection kept.")] = None,
               store: Annotated[Path, typer.Option("--store", help="The decisions file.")] = Path("reviews.jsonl"),
               model: Annotated[Optional[str], typer.Option("--model", "-m", help="LLM reviewer model spec.")] = None,
               web: Annotated[bool, typer.Option(help="Decide in a local web page instead of the terminal.")] = False,
               port: Annotated[int, typer.Option(help="Port of the web page (0: any free one).")] = 0,
               human: Annotated[bool, typer.Option(help="Ask for human decisions after the LLM review.")] = True,
               reviewer: Annotated[str, typer.Option(help="Name recorded with the human decisions.")] = "human",
               concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1)] = 2,
               from_: FromOpt = SrcFormat.auto):
    """Review instances: an LLM reviewer, then a human decision.

    LLM review first (--model), then accept / reject / edit per task, in the terminal or
    --web; decisions stored per task version in --store."""
    from clawgym.bench import ReviewStore, Selection, review_with_llm, serve_review, terminal_review

    tasks = _load(pool, from_)
    if selection:
        kept = set(_read_model(selection, Selection).kept)
        tasks = [t for t in tasks if t.id in kept]
    st = ReviewStore(store)
    if model:
        m = _model(model)
        recs = review_with_llm(tasks, m, st, concurrency=concurrency,
                               on_result=lambda r: err.print(f"reviewed {r.task_id}: "
                                                             f"{r.llm.verdict if r.llm else '?'}", highlight=False))
        err.print(f"LLM-reviewed {len(recs)} task(s)")
    if not human:
        return
    if web:
        server = serve_review(tasks, st, port=port, reviewer=reviewer)
        err.print(f"review page at {server.url} (Ctrl-C to stop); decisions go to {store}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    else:
        counts = terminal_review(tasks, st, reviewer=reviewer)
        err.print(", ".join(f"{k} {v}" for k, v in counts.items()))
    err.print(f"{len(st.accepted(tasks))} of {len(tasks)} task(s) accepted")


@bench_app.command("build")
def build_cmd(pool: Annotated[Path, typer.Argument(help="The task pool.")],
              name: Annotated[str, typer.Option(help="Benchmark name.")],
              version: Annotated[str, typer.Option(help="Benchmark version.")],
              selection: Annotated[Optional[Path], typer.Option(help="Only the tasks this selection kept.")] = None,
              calibration: Annotated[Optional[Path], typer.Option(help="Record difficulties from it.")] = None,
              reviews: Annotated[Optional[Path], typer.Option(help="Only tasks a human accepted in this store.")] = None,
              description: Annotated[str, typer.Option()] = "",
              out_file: Annotated[Path, typer.Option("--out", "-o", help="Manifest path or folder.")] = Path("benchmark.json"),
              from_: FromOpt = SrcFormat.auto):
    """Pin a named, versioned benchmark: a manifest of task content hashes.

    With --reviews, only the instances a human accepted."""
    from clawgym.bench import Calibration, ReviewStore, Selection, build_manifest

    tasks = _load(pool, from_)
    try:
        man = build_manifest(tasks, name, version,
                             selection=_read_model(selection, Selection) if selection else None,
                             calibration=_read_model(calibration, Calibration) if calibration else None,
                             accepted=ReviewStore(reviews).accepted(tasks) if reviews else None,
                             description=description,
                             source={"pool": str(pool), "selection": str(selection or ""),
                                     "calibration": str(calibration or ""), "reviews": str(reviews or "")})
    except (ClawGymError, ValueError) as exc:
        _fail(str(exc))
    path = man.save(out_file)
    err.print(f"benchmark {man.ref}: {len(man.tasks)} task(s), manifest {path}")


@bench_app.command("run")
def run_cmd(manifest: Annotated[Path, typer.Argument(help="benchmark.json (or its folder).")],
            tasks_src: Annotated[Optional[Path], typer.Option("--tasks", help="Task source (default: the manifest's own "
                                                              "tasks.jsonl, for imported benchmarks).")] = None,
            agent: Annotated[str, typer.Option("--agent", "-a")] = "llm",
            model: Annotated[Optional[str], typer.Option("--model", "-m")] = None,
            samples: Annotated[int, typer.Option("--samples", "-k", min=1)] = 1,
            concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1)] = 2,
            sandbox: Annotated[str, typer.Option()] = "bwrap",
            judge: Annotated[Optional[str], typer.Option("--judge", help="Judge model spec for rubric-graded tasks "
                                                         "(without one, judged tasks are skipped).")] = None,
            allow: Annotated[Optional[list[str]], typer.Option(
                "--allow", help="Run tasks that need this anyway (internet, image-generation, skill-registry; "
                "repeat) where your sandbox provides it.")] = None,
            out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run folder (resumed if it exists).")] = Path(
                "runs/bench"),
            from_: FromOpt = SrcFormat.auto):
    """Run an agent on a benchmark's pinned tasks (refused if any task's hash changed).

    Tasks that need what this run lacks (the internet, image generation, a skill registry,
    several sessions, a judge) are skipped, each with its reason, and reports list them."""
    from clawgym.bench import Manifest, run_benchmark, run_tag

    try:
        man = Manifest.load(manifest)
        src = tasks_src or (manifest if manifest.is_dir() else manifest.parent) / "tasks.jsonl"
        tasks = _load(src, from_)
        store = run_benchmark(man, tasks, out_dir, agent=agent, model=model, samples=samples,
                              concurrency=concurrency, sandbox=sandbox, judge_model=judge, allow=allow or ())
        rows = store.rows()
        store.close()
    except ClawGymError as exc:
        _fail(str(exc))
    skipped = (run_tag(out_dir) or {}).get("skipped") or {}
    for tid, needs in skipped.items():
        err.print(f"[dim]skipped[/dim] {escape(tid)}: " + escape("; ".join(f"needs {n} ({w})" for n, w in needs.items())),
                  highlight=False)
    scores = [r.score or 0.0 for r in rows if r.state in ("done", "agent_error")]
    err.print(f"{man.ref}: {len(scores)} attempt(s), mean score {sum(scores) / max(1, len(scores)):.3f}"
              + (f", {len(skipped)} task(s) skipped" if skipped else "") + f"; run folder {out_dir}")


@bench_app.command("report")
def report_cmd(manifest: Annotated[Path, typer.Argument(help="benchmark.json (or its folder).")],
               runs: Annotated[list[Path], typer.Argument(help="Run folders of this benchmark.")],
               prices: Annotated[Optional[list[str]], typer.Option("--price", help="LABEL=USD per 1M tokens.")] = None,
               threshold: Annotated[float, typer.Option()] = 1.0,
               as_json: Annotated[bool, typer.Option("--json", help="Print the leaderboard as JSON.")] = False,
               html_file: Annotated[Path, typer.Option("--out", "-o")] = Path("leaderboard.html")):
    """Leaderboard of a benchmark's runs, printed and written as a page.

    Per model: mean score and pass rate with 95% CIs, per category and difficulty band,
    tokens, cost, verifier-error rate. For a benchmark imported from PinchBench or
    ClawGym-Bench, also the figure that source publishes (computed its way) beside ours."""
    from clawgym.bench import Manifest, leaderboard, published, run_tag, write_leaderboard

    try:
        man = Manifest.load(manifest)
        price = {}
        for p in prices or []:
            label, _, usd = p.rpartition("=")
            price[label] = float(usd)
        for r in runs:
            tag = run_tag(r)
            if tag and tag.get("digest") != man.digest():
                err.print(f"[yellow]warning:[/yellow] {escape(str(r))} ran {escape(tag.get('benchmark', '?'))}, "
                          f"not {escape(man.ref)}: only the tasks they share count")
        board = leaderboard(man, runs, threshold=threshold, prices=price)
        pub = published(man, runs, manifest_path=manifest)
    except (ClawGymError, ValueError) as exc:
        _fail(str(exc))
    if as_json:
        data = board.model_dump(mode="json")
        if pub is not None:
            data["published"] = pub.model_dump(mode="json")
        print(json.dumps(data))
        return
    t = Table("#", "model", "mean score [95% CI]", "pass rate", "tasks", "tokens", "verifier err", title=board.benchmark)
    for i, m in enumerate(board.models, 1):
        g = m.overall
        t.add_row(str(i), m.label, f"{g.mean_score:.3f} [{g.mean_ci[0]:.3f}, {g.mean_ci[1]:.3f}]" if g else "-",
                  f"{g.pass_rate:.1%}" if g else "-", f"{g.tasks if g else 0}/{len(man.tasks)}", f"{m.tokens:,}",
                  f"{m.verifier_error_rate:.1%}")
    out.print(t)
    if pub is not None:
        _print_published(board, pub)
    err.print(f"leaderboard written to {write_leaderboard(board, html_file)}")


def _print_published(board, pub) -> None:
    """The source's own figure beside ours, per model, then per task (PinchBench's table)."""
    ours = {m.label: m.overall for m in board.models}
    t = Table("model", "ours: mean score [95% CI]", f"{pub.source}: score % [95% CI]", "tasks", "skipped",
              "counted 0", title=pub.metric)
    for m in pub.models:
        g = ours.get(m.label)
        t.add_row(m.label, f"{g.mean_score:.3f} [{g.mean_ci[0]:.3f}, {g.mean_ci[1]:.3f}]" if g else "-",
                  f"{m.score:.1f} [{m.ci[0]:.1f}, {m.ci[1]:.1f}]" if m.score is not None and m.ci else "-",
                  f"{m.tasks_scored}/{pub.tasks_total}", str(len(m.skipped)), str(m.counted_zero))
    out.print(t)
    for m in pub.models:
        if pub.source == "pinchbench" and m.per_task:
            pt = Table("task", "grading", "runs", "mean [95% CI]", "std", title=f"{m.label}: per task (PinchBench)")
            for x in m.per_task:
                pt.add_row(x.task_id, x.grading_type or "-", str(x.runs), f"{x.mean:.3f} [{x.ci[0]:.3f}, {x.ci[1]:.3f}]",
                           f"{x.std:.3f}")
            out.print(pt)
        for tid, why in {**m.skipped, **m.excluded}.items():
            out.print(f"[dim]not scored[/dim] {escape(m.label)} {escape(tid)}: {escape(why)}", highlight=False)


@bench_app.command("view")
def view_cmd(runs: Annotated[list[Path], typer.Argument(help="Run folders.")],
             html_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Default: FIRST_RUN/viewer.html.")] = None):
    """Write the trajectory viewer (one self-contained page).

    Lists every attempt, with filters, and shows each trajectory step by step. Only reads
    the runs."""
    from clawgym.bench import write_viewer

    try:
        path = write_viewer(runs, html_file or runs[0] / "viewer.html")
    except ClawGymError as exc:
        _fail(str(exc))
    err.print(f"viewer written to {path}")


@bench_app.command("import")
def import_cmd(source: Annotated[str, typer.Argument(help="pinchbench or clawgym.")],
               src: Annotated[Path, typer.Argument(help="A local copy of the benchmark's repository (for clawgym: "
                                                   "the ClawGym-Agents root or its RL/data/clawgym_eval).")],
               out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Default: benchmarks/NAME.")] = None,
               name: Annotated[Optional[str], typer.Option(help="Default: pinchbench or clawgym-bench.")] = None,
               version: Annotated[Optional[str], typer.Option(help="Default: the copy's git commit.")] = None):
    """Import a published benchmark as a named one (tasks.jsonl + benchmark.json).

    pinchbench: github.com/pinchbench/skills (every tasks/task_*.md; tasks that need the
    internet, image generation, a skill registry or a judge are marked, and `bench run` skips
    them with the reason). clawgym: ClawGym-Bench from the released repository."""
    from clawgym.bench import import_clawgym_bench, import_pinchbench

    importers = {"pinchbench": (import_pinchbench, "pinchbench"), "clawgym": (import_clawgym_bench, "clawgym-bench")}
    if source not in importers:
        _fail(f"unknown benchmark {source!r}: choose pinchbench or clawgym")
    fn, default_name = importers[source]
    name = name or default_name
    out_dir = out_dir or Path("benchmarks") / name
    try:
        man = fn(src, out_dir, name=name, version=version)
    except ClawGymError as exc:
        _fail(str(exc))
    from collections import Counter

    from clawgym.tasks import load_tasks

    needs = Counter(n for t in load_tasks(out_dir / "tasks.jsonl") for n in t.metadata.get("requires") or [])
    err.print(f"benchmark {man.ref}: {len(man.tasks)} task(s) in {out_dir}"
              + (" (" + ", ".join(f"{k} need {n}" for n, k in sorted(needs.items())) + ")" if needs else ""))
