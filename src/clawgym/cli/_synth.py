"""`clawgym synth ...`: make tasks. `synth families` draws procedural family tasks (no LLM)."""

from __future__ import annotations

import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from clawgym.cli._common import _fail, app, err, out


def _api_key() -> str | None:
    """The key to keep out of every ledger and log (OPENAI_API_KEY, through the settings)."""
    from clawgym.settings import current

    key = current().openai_api_key
    return key.get_secret_value() if key else None

synth_app = typer.Typer(help="Synthesize tasks (procedural families: `synth families`).", no_args_is_help=True)
app.add_typer(synth_app, name="synth")


class StageProgress:
    """A synthesis run's progress on stderr, per record and stage, so a slow model is never
    mistaken for a hang: each stage as it starts and as it ends (verdict, seconds, why it was
    dropped), and in a terminal a live line with the stages in flight and the time so far.
    Stdout (the summary table, --json) is left alone."""

    def __init__(self, redactor, what: str):
        import threading

        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.redactor, self.what = redactor, what
        self.lock = threading.Lock()
        self.running: Counter = Counter()
        self.finished = 0
        self.t0 = time.monotonic()
        self.live = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                             console=err, transient=True, disable=not err.is_terminal)

    def __enter__(self) -> "StageProgress":
        self.live.start()
        self.bar = self.live.add_task(self.what)
        err.print(f"{self.what}: each record's stages start and end below", highlight=False)
        return self

    def __exit__(self, *exc) -> None:
        self.live.stop()

    def _line(self, text: str) -> None:
        with self.lock:
            flight = ", ".join(f"{k} {v}" for k, v in self.running.items() if v > 0) or "-"
            self.live.update(self.bar, description=f"{self.what}: in flight {flight}; {self.finished} stage(s) done")
        err.print(f"{time.monotonic() - self.t0:7.1f} s  {text}", highlight=False, markup=False, soft_wrap=True)

    def started(self, record_id: str, stage: str) -> None:
        with self.lock:
            self.running[stage] += 1
        self._line(f"{record_id} {stage} ...")

    def ended(self, ev) -> None:
        with self.lock:
            if self.running[ev.stage] > 0:
                self.running[ev.stage] -= 1
            self.finished += 1
        took = ev.usage.get("seconds") if isinstance(ev.usage, dict) else None
        line = f"{ev.record_id} {ev.stage} {ev.verdict}" + (f" ({took:.1f} s)" if isinstance(took, (int, float)) else "")
        if ev.verdict != "ok" and ev.reason:
            line += ": " + " ".join(self.redactor.text(ev.reason).split())[:160]
        self._line(line)


class SplitOpt(str, Enum):
    train = "train"
    heldout = "heldout"


class DifficultyOpt(str, Enum):
    mixed = "mixed"
    easy = "easy"
    medium = "medium"
    hard = "hard"


def _knobs(pairs: list[str]) -> dict[str, str]:
    knobs = {}
    for pair in pairs:
        if "=" not in pair:
            _fail(f"--knob expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        knobs[name.strip()] = value.strip()
    return knobs


@synth_app.command("families")
def synth_families(
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help=(
        "Folder of native task folders, or a .jsonl file."))] = None,
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="Number of tasks (round-robin over families).")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="First seed; task i of family f uses seed + i // #families.")] = 0,
    names: Annotated[Optional[str], typer.Option("--families", help="Comma-separated family names (default all).")] = None,
    split: Annotated[Optional[SplitOpt], typer.Option(help=(
        "train: only families not held out, seeds below 1,000,000; heldout: every family, seeds shifted to "
        ">= 1,000,000. Default: no filter (each task's split is in its metadata)."))] = None,
    difficulty: Annotated[DifficultyOpt, typer.Option(help="easy, medium, hard, or mixed (the seed picks).")] =
        DifficultyOpt.mixed,
    knob: Annotated[Optional[list[str]], typer.Option("--knob", help="Override a knob: NAME=VALUE (repeatable).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the families, their knobs and split, and exit.")] = False,
):
    """Draw procedural family tasks: instruction, workspace, checks and reference solution from a seed.

    Same arguments, byte-identical tasks. Writes native task folders, or JSONL when --out ends in .jsonl."""
    from clawgym.synth.families import describe, generate_tasks
    from clawgym.tasks import save_tasks

    if list_:
        table = Table(title="procedural task families")
        table.add_column("family", no_wrap=True)
        for col in ("category", "subcategory", "split"):
            table.add_column(col)
        table.add_column("knobs (easy/medium/hard)", overflow="fold")
        for row in describe():
            knobs = ", ".join(f"{k} {'/'.join(str(v).lower() for v in lv.values())}" for k, lv in row["knobs"].items())
            table.add_row(row["name"], row["category"], row["subcategory"], row["split"], knobs)
        out.print(table)
        return
    if out_path is None:
        _fail("--out is required (a folder, or a .jsonl file)")
    chosen = [x.strip() for x in names.split(",") if x.strip()] if names else None
    start = time.perf_counter()
    try:
        tasks = generate_tasks(n, seed, chosen, split.value if split else None,
                               None if difficulty == DifficultyOpt.mixed else difficulty.value, _knobs(knob or []) or None)
    except (KeyError, ValueError) as exc:
        _fail(str(exc.args[0]) if exc.args else str(exc))
    fmt = "jsonl" if out_path.suffix in (".jsonl", ".ndjson") else "native"
    try:
        save_tasks(tasks, out_path, fmt, overwrite=overwrite)
    except FileExistsError as exc:
        _fail(str(exc))
    per_family = Counter(t.provenance.generator for t in tasks)
    splits = Counter(t.metadata.get("split") for t in tasks)
    err.print(f"wrote {len(tasks)} task(s) from {len(per_family)} famil{'y' if len(per_family) == 1 else 'ies'} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(splits.items()))}) as {fmt} to {out_path} "
              f"in {time.perf_counter() - start:.2f}s", highlight=False)


# -- synth persona (the LLM top-down route) ---------------------------------------------------------
from clawgym.cli._common import ModelOpt, ModelTimeoutOpt, RequestTimeoutOpt, _model  # noqa: E402


class PersonaFormatOpt(str, Enum):
    native = "native"
    jsonl = "jsonl"


@synth_app.command("persona")
def synth_persona(
    out_path: Annotated[Path, typer.Option("--out", "-o", help=(
        "Run folder: ledger, response cache, tasks/ (or tasks.jsonl), summary.json, rejections.jsonl. "
        "Run the same command again to resume."))],
    model: ModelOpt = None,
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="Records to sample (more later grows the set).")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Run seed; every record's seed derives from it.")] = 0,
    personas: Annotated[Optional[Path], typer.Option(help="PersonaHub-style JSONL (default: the shipped set).")] = None,
    taxonomy: Annotated[Optional[Path], typer.Option(help="Category taxonomy JSON (default: ClawGym's 11/51).")] = None,
    operations: Annotated[Optional[Path], typer.Option(help="Atomic operations JSON (default: shipped).")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, help="Model requests in flight.")] = 4,
    sandboxes: Annotated[int, typer.Option(min=1, help="Sandboxes (reference runs, verifier QA) at once.")] = 2,
    sandbox: Annotated[str, typer.Option(help="bwrap or process.")] = "bwrap",
    votes: Annotated[int, typer.Option(min=1, help="Judge votes per task (majority per issue).")] = 3,
    max_repairs: Annotated[int, typer.Option(min=0, help="Schema repair turns before a record is rejected.")] = 2,
    qa_rounds: Annotated[int, typer.Option(min=0, help="Verifier repair rounds fed by QA failures.")] = 3,
    temperature: Annotated[float, typer.Option(min=0, help="Sampling temperature of the generating stages.")] = 0.8,
    rubric: Annotated[bool, typer.Option(help="Generate an LLM rubric for subjective outputs.")] = True,
    dedup: Annotated[bool, typer.Option(help="MinHash LSH near-duplicate removal.")] = True,
    dedup_threshold: Annotated[float, typer.Option(min=0.01, max=1.0, help="Jaccard of word 3-shingles.")] = 0.7,
    dedup_against: Annotated[Optional[list[Path]], typer.Option(help=(
        "Existing data set(s) new tasks must not duplicate (repeatable)."))] = None,
    format: Annotated[PersonaFormatOpt, typer.Option("--format", help="native folders or one JSONL.")] =
        PersonaFormatOpt.native,
    export_clawgym: Annotated[bool, typer.Option(help="Also write ClawGym's repository layout to OUT/clawgym.")] = False,
    price_in: Annotated[float, typer.Option(min=0, help="USD per million prompt tokens (cost column).")] = 0.0,
    price_out: Annotated[float, typer.Option(min=0, help="USD per million completion tokens.")] = 0.0,
    allow_internet: Annotated[bool, typer.Option(help="Also sample Internet operations (tasks need a network).")] =
        False,
    request_timeout: RequestTimeoutOpt = None,
    model_timeout: ModelTimeoutOpt = None,
    force: Annotated[bool, typer.Option(help="Resume even though the configuration changed.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
):
    """Synthesize verified tasks top-down: persona + subcategory + operations -> instruction, workspace,
    reference solution (run in a sandbox) -> dedup -> judge (sees the input files) -> check.py that must
    pass `tasks qa` -> optional rubric. Resumable: after a crash, run the same command again."""

    from clawgym.errors import ClawGymError
    from clawgym.synth import PersonaConfig, Pricing, Redactor, synthesize_personas

    if not model:
        _fail("--model is required, e.g. --model openai:gpt-4o-mini (OPENAI_BASE_URL / OPENAI_API_KEY)")
    redactor = Redactor([_api_key()])
    chat = _model(model, request_timeout, model_timeout)
    config = PersonaConfig(
        out=out_path, n=n, seed=seed, personas=personas, taxonomy=taxonomy, operations=operations,
        allow_internet=allow_internet, concurrency=concurrency, sandbox_concurrency=sandboxes,
        max_repairs=max_repairs, temperature=temperature, judge_votes=votes, qa_rounds=qa_rounds, rubric=rubric,
        dedup=dedup, dedup_threshold=dedup_threshold, dedup_against=list(dedup_against or []), backend=sandbox,
        format=format.value, export_clawgym=export_clawgym,
        pricing=Pricing(input_per_mtok=price_in, output_per_mtok=price_out), force=force)
    try:
        with StageProgress(redactor, f"synth persona: {n} record(s)") as progress:
            summary = synthesize_personas(chat, config, redactor=redactor, on_event=progress.ended,
                                          on_start=progress.started)
    except (ClawGymError, OSError, ValueError) as exc:
        _fail(redactor.text(str(exc)))
    finally:
        chat.close()
    if json_out:
        out.print_json(redactor.text(summary.model_dump_json()))
    else:
        table = Table("stage", "in", "kept", "dropped", "skipped", "why dropped", "calls", "cached", "tokens",
                      "cost $", title=f"synth persona: {summary.finished} of {summary.requested} finished")
        for name, s in summary.stages.items():
            why = ", ".join(f"{k} {v}" for k, v in sorted(s.reasons.items(), key=lambda kv: -kv[1]))
            sess = summary.session.get(name)
            table.add_row(name, str(s.entered), str(s.kept), str(s.rejected), str(s.skipped), why,
                          str(s.usage.calls), str(sess.cache_hits if sess else 0),
                          str(s.usage.prompt_tokens + s.usage.completion_tokens), f"{s.cost_usd:.4f}")
        out.print(table)
        err.print(f"wrote {summary.output}" + (f" and {summary.clawgym_export}" if summary.clawgym_export else "")
                  + f"; summary in {out_path / 'summary.json'}, rejections in {out_path / 'rejections.jsonl'}",
                  highlight=False)
    if summary.pending:
        err.print(f"{len(summary.pending)} record(s) stopped by model errors ({summary.errors[0] if summary.errors else ''}); "
                  "run the same command again to resume", highlight=False)
        raise typer.Exit(1)


# -- synth skills (the LLM bottom-up route) ---------------------------------------------------------
@synth_app.command("skills")
def synth_skills(
    skills_dir: Annotated[Optional[Path], typer.Argument(help=(
        "Folder of skill folders (each with a SKILL.md); default: the ~20 shipped sample skills."))] = None,
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help=(
        "Run folder: ledger, cache, tasks/ (or tasks.jsonl), annotations.jsonl, summary.json, rejections.jsonl. "
        "Run the same command again to resume."))] = None,
    model: ModelOpt = None,
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="Records (skill combinations) to synthesize.")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Run seed: composition and every record's seed derive from it.")] = 0,
    per_task: Annotated[str, typer.Option(help="Skills per task, LOW-HIGH within 1-3 (by description similarity).")]
        = "1-3",
    min_similarity: Annotated[float, typer.Option(min=0, max=1, help="Least TF-IDF cosine for a companion skill.")]
        = 0.08,
    llm_annotate: Annotated[bool, typer.Option(help="Also annotate skills with the model (adds restrictions only).")]
        = False,
    max_risk: Annotated[str, typer.Option(help="Highest skill risk kept: low, medium or high.")] = "medium",
    allow_network: Annotated[bool, typer.Option(help="Keep skills that need the network.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, help="Model requests in flight.")] = 4,
    sandboxes: Annotated[int, typer.Option(min=1, help="Sandboxes (reference runs, verifier QA) at once.")] = 2,
    sandbox: Annotated[str, typer.Option(help="bwrap or process.")] = "bwrap",
    votes: Annotated[int, typer.Option(min=1, help="Judge votes per task (majority per issue).")] = 3,
    max_repairs: Annotated[int, typer.Option(min=0, help="Schema repair turns before a record is rejected.")] = 2,
    qa_rounds: Annotated[int, typer.Option(min=0, help="Verifier repair rounds fed by QA failures.")] = 3,
    temperature: Annotated[float, typer.Option(min=0, help="Sampling temperature of the generating stages.")] = 0.8,
    rubric: Annotated[bool, typer.Option(help="Generate an LLM rubric for subjective outputs.")] = True,
    dedup: Annotated[bool, typer.Option(help="MinHash LSH near-duplicate removal.")] = True,
    format: Annotated[PersonaFormatOpt, typer.Option("--format", help="native folders or one JSONL.")] =
        PersonaFormatOpt.native,
    export_clawgym: Annotated[bool, typer.Option(help="Also write ClawGym's repository layout to OUT/clawgym.")] = False,
    request_timeout: RequestTimeoutOpt = None,
    model_timeout: ModelTimeoutOpt = None,
    force: Annotated[bool, typer.Option(help="Resume even though the configuration changed.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="Parse and annotate the skills, print the table, exit.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
):
    """Synthesize verified tasks bottom-up from skills: parse SKILL.md folders strictly, annotate them (auth,
    network, text-only, risk; skip what the sandbox cannot serve), compose 1-3 similar skills per task with a
    fixed seed, then the persona route's stages with the skills installed at skills/<name>/: generate,
    reference run (+ one run per skill removed: the task must need it), dedup, judge, check.py through
    `tasks qa`, rubric. Resumable: after a crash, run the same command again."""

    from clawgym.errors import ClawGymError
    from clawgym.synth import Redactor, SkillsConfig, annotate_skills, load_skills, synthesize_skills

    if max_risk not in ("low", "medium", "high"):
        _fail(f"--max-risk must be low, medium or high, got {max_risk!r}")
    try:
        lo, hi = (int(x) for x in per_task.split("-", 1)) if "-" in per_task else (int(per_task),) * 2
    except ValueError:
        _fail(f"--per-task expects LOW-HIGH such as 1-3, got {per_task!r}")
    if not 1 <= lo <= hi <= 3:
        _fail(f"--per-task must satisfy 1 <= LOW <= HIGH <= 3, got {per_task!r}")
    if list_:
        try:
            skills = load_skills(skills_dir)
        except ClawGymError as exc:
            _fail(str(exc))
        cfg = SkillsConfig(out=Path("."), allow_network=allow_network, max_risk=max_risk)  # type: ignore[arg-type]
        table = Table("skill", "servable", "risk", "auth", "network", "text", "why skipped", title="skills")
        for s, a in zip(skills, annotate_skills(skills, cfg)):
            table.add_row(s.name, "yes" if a.servable else "no", a.risk, "yes" if a.needs_auth else "",
                          "yes" if a.needs_network else "", "yes" if a.text_only else "no", a.skip_reason or "")
        out.print(table)
        return
    if out_path is None:
        _fail("--out is required (the run folder)")
    if not model:
        _fail("--model is required, e.g. --model openai:gpt-4o-mini (OPENAI_BASE_URL / OPENAI_API_KEY)")
    redactor = Redactor([_api_key()])
    chat = _model(model, request_timeout, model_timeout)
    config = SkillsConfig(
        out=out_path, n=n, seed=seed, skills_dir=skills_dir, skills_per_task=(lo, hi), min_similarity=min_similarity,
        llm_annotate=llm_annotate, max_risk=max_risk, allow_network=allow_network,  # type: ignore[arg-type]
        concurrency=concurrency, sandbox_concurrency=sandboxes, max_repairs=max_repairs, temperature=temperature,
        judge_votes=votes, qa_rounds=qa_rounds, rubric=rubric, dedup=dedup, backend=sandbox, format=format.value,
        export_clawgym=export_clawgym, force=force)

    try:
        with StageProgress(redactor, f"synth skills: {n} record(s)") as progress:
            summary = synthesize_skills(chat, config, redactor=redactor, on_event=progress.ended)
    except (ClawGymError, OSError, ValueError) as exc:
        _fail(redactor.text(str(exc)))
    finally:
        chat.close()
    if json_out:
        out.print_json(redactor.text(summary.model_dump_json()))
    else:
        table = Table("stage", "in", "kept", "dropped", "skipped", "why dropped", "calls", "tokens",
                      title=f"synth skills: {summary.finished} of {summary.requested} finished "
                            f"({summary.skills_servable} of {summary.skills_total} skills servable)")
        for name, s in summary.stages.items():
            why = ", ".join(f"{k} {v}" for k, v in sorted(s.reasons.items(), key=lambda kv: -kv[1]))
            table.add_row(name, str(s.entered), str(s.kept), str(s.rejected), str(s.skipped), why,
                          str(s.usage.calls), str(s.usage.prompt_tokens + s.usage.completion_tokens))
        out.print(table)
        for name, why in summary.skipped_skills.items():
            err.print(f"skipped skill {name}: {why}", highlight=False)
        err.print(f"wrote {summary.output}; annotations in {out_path / 'annotations.jsonl'}, summary in "
                  f"{out_path / 'summary.json'}, rejections in {out_path / 'rejections.jsonl'}", highlight=False)
    if summary.pending:
        err.print(f"{len(summary.pending)} record(s) stopped by model errors; run the same command again to resume",
                  highlight=False)
        raise typer.Exit(1)
