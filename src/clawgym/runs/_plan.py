"""Before a run starts: its defaults, its folder, and a check of everything it names.

Why here and not in the CLI: a run that cannot work must be refused before it creates anything.
A typo in a model name used to create the folder, leave rows stuck in `running`, print a retry
line per attempt, exit 0, and leave a folder that refused the corrected command. Every caller of
the Python API gets the same checks (`execute` runs `check_run` itself).
"""

from __future__ import annotations

import fnmatch
import math
import time
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from clawgym import registry
from clawgym.errors import ClawGymError
from clawgym.runs._config import RunConfig
from clawgym.runs._store import RunStore
from clawgym.tasks import Task

# `clawgym run` with no tasks: the built-in starter suite, the embedded model, and budgets sized
# so the whole suite fits in about 3 minutes on 2 CPU cores. They fill only what is left unset.
STARTER_DEFAULTS: dict[str, Any] = {"model": "smollm2", "max_steps": 3, "turn_tokens": 64}
PROBE_TIMEOUT_S = 5.0


class RunSetupError(ClawGymError):
    """A run cannot start as asked. Nothing was created."""


def starter_source(src: str | Path | None, settings: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """The tasks to run and the settings with defaults filled: with no source, the starter
    suite (and, for the llm agent, `STARTER_DEFAULTS` where a setting is None)."""
    if src is not None:
        return Path(src), dict(settings)
    from clawgym.starter import STARTER_DIR

    filled = dict(settings)
    if filled.get("agent", "llm") == "llm" and not filled.get("model"):
        filled.update({k: filled.get(k) or v for k, v in STARTER_DEFAULTS.items()})
    return Path(STARTER_DIR), filled


def run_folder(out: str | Path | None, *, resume: bool = False, root: str | Path = "runs") -> Path:
    """The run folder: `--out`, or a new `runs/<time>`. A folder that holds anything needs
    `--resume`, and `--resume` needs a folder that holds a run, so no run is mixed into
    another folder by accident and no typo in `--out` starts a fresh run silently."""
    if out is None:
        if resume:
            raise RunSetupError("--resume needs --out RUNDIR: the folder of the run to finish")
        return Path(root) / time.strftime("%Y%m%d-%H%M%S")
    out = Path(out)
    has_run = (out / RunStore.DB).is_file()
    if resume and not has_run:
        raise RunSetupError(f"{out} holds no run to resume (no {RunStore.DB}); drop --resume to start one there")
    if not resume and out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "already holds a run: pass --resume to finish it" if has_run else "is not an empty folder"
        raise RunSetupError(f"{out} {what}, or choose another --out")
    return out


def select_tasks(tasks: list[Task], patterns: list[str] | None, src: str | Path = "the tasks") -> list[Task]:
    """The tasks whose id matches any of `patterns` (an exact id, or a shell glob such as
    `task_00*`), in their source order; all of them when no pattern is given. A pattern that
    matches nothing is refused (a typo would otherwise silently run fewer tasks)."""
    if not patterns:
        return list(tasks)
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(t.id, p) for t in tasks)]
    if unmatched:
        sample = ", ".join(t.id for t in tasks[:5]) + (", ..." if len(tasks) > 5 else "")
        raise RunSetupError(f"--task {', '.join(map(repr, unmatched))} matches no task in {src} "
                            f"(its ids: {sample or 'none'}); give an id or a glob such as 'task_00*'")
    return [t for t in tasks if any(fnmatch.fnmatchcase(t.id, p) for p in patterns)]


_FLAGS = {"timeout_s": "--timeout", "verify_timeout_s": "--verify-timeout", "temperature": "--temperature",
          "samples": "--samples", "judge_votes": "--judge-votes", "max_tries": "--max-tries"}


def make_config(tasks: list[Task], src: str | Path, **settings: Any) -> RunConfig:
    """A RunConfig for these tasks; an invalid setting (nan, inf, a negative timeout) is one
    line naming the flag. Settings left None take RunConfig's defaults."""
    given = {k: v for k, v in settings.items() if v is not None}
    agent = given.get("agent", "llm")
    try:  # a model given to an agent that uses none would only make two equal runs differ
        if not registry.needs_model(agent):
            given.pop("model", None)
    except registry.RegistryError:
        pass  # check_run names the unknown agent
    try:
        return RunConfig(tasks=str(src), task_ids=[t.id for t in tasks], **given)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = str(e["loc"][0]) if e["loc"] else "?"
        value = given.get(field)
        if isinstance(value, float) and not math.isfinite(value):
            why = "must be a finite number"
        else:
            why = e["msg"][0].lower() + e["msg"][1:]
        raise RunSetupError(f"{_FLAGS.get(field, field)} {value!r}: {why}; "
                            "give a positive number of seconds, or leave it out for the default") from None


def _probe(spec: str) -> None:
    """Reach an OpenAI-compatible endpoint once, so a wrong URL or a server that is down stops
    the run before it starts instead of failing every attempt. Any HTTP answer counts (the
    probe sends no key, so 401 is an answer too)."""
    import urllib.error
    import urllib.request

    model = registry.load_model(spec)
    url = str(model.config().get("base_url") or "").rstrip("/")
    if not url:
        return
    try:
        urllib.request.urlopen(f"{url}/models", timeout=PROBE_TIMEOUT_S).close()
    except urllib.error.HTTPError:
        return
    except (OSError, ValueError) as exc:  # URLError, a refused or timed-out connection, a bad URL
        why = getattr(exc, "reason", None) or exc
        raise RunSetupError(f"cannot reach the model server for {spec!r} at {url} ({why}); "
                            "start it, or point OPENAI_BASE_URL at it") from None


def check_run(tasks: list[Task], config: RunConfig, *, executor: str = "local", probe: bool = True) -> None:
    """Refuse a run that cannot work, before anything is created: every name it uses (agent,
    model, judge, sandbox, executor) must resolve with its requirements installed, the llm agent
    needs a model, each task's workspace path must be absolute; with `probe`, an openai endpoint
    must answer (once, within PROBE_TIMEOUT_S) and the sandbox backend must work here (a Docker
    daemon that answers)."""
    if not tasks:
        raise RunSetupError(f"no tasks in {config.tasks}: give a task folder or dataset with at least one task")
    try:
        registry.check("agent", config.agent)
        if config.model is None and registry.needs_model(config.agent) and ":" not in config.agent:
            raise RunSetupError(f"the {config.agent} agent needs --model (e.g. --model smollm2 or --model openai:NAME)")
        for kind, spec in (("model", config.model), ("judge", config.judge_model)):
            if spec is not None:
                registry.check(kind, spec)  # type: ignore[arg-type]
        (registry.probe if probe else registry.check)("sandbox", config.sandbox)
        registry.check("executor", executor)
    except registry.RegistryError as exc:
        raise RunSetupError(str(exc)) from None
    for t in tasks:
        if not PurePosixPath(t.mount_path).is_absolute():
            raise RunSetupError(f"task {t.id}: mount_path {t.mount_path!r} is relative; make it an absolute "
                                "path (e.g. /root/.openclaw/workspace) in its task.toml")
        for name in ("timeout_s", "verify_timeout_s"):
            value = getattr(t.limits, name)
            if value is not None and not math.isfinite(value):
                raise RunSetupError(f"task {t.id}: limits.{name} is {value!r}; give a finite number of seconds "
                                    "in its task.toml, or remove it for the default")
    if probe:
        for spec in dict.fromkeys(s for s in (config.model, config.judge_model) if s and s.startswith("openai:")):
            _probe(spec)
