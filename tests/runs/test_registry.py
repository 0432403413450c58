"""One registry for agents, models, sandboxes and executors, and the run API the CLI is a thin
layer over (defaults, run folder rule)."""

from __future__ import annotations

import pytest

from clawgym import registry
from clawgym.runs import (STARTER_DEFAULTS, LocalExecutor, RunConfig, RunSetupError, RunStore, execute, run_folder,
                          starter_source)
from tests.conftest import requires_bwrap


class SerialExecutor:
    """A user's executor, named as module:Class: one attempt at a time, in the calling thread."""

    def __init__(self, concurrency: int = 1, address: str | None = None):
        pass

    def run(self, job, pending):
        for key in pending:
            tries = job.start(key)
            while not job.finish(key, job.attempt(key), tries):
                tries = job.start(key)


def test_every_kind_lists_its_names_and_suggests_the_close_one():
    assert registry.names("model") == ["openai:NAME", "hf:PATH", "smollm2", "scripted:FILE"]
    with pytest.raises(registry.RegistryError) as exc:
        registry.check("model", "smolm2")
    assert "did you mean 'smollm2'" in str(exc.value) and "openai:NAME, hf:PATH" in str(exc.value)
    with pytest.raises(registry.RegistryError, match="needs a name: write openai:NAME"):
        registry.check("model", "openai")
    with pytest.raises(registry.RegistryError, match="takes no argument"):
        registry.check("model", "smollm2:big")
    with pytest.raises(registry.RegistryError, match="unknown executor 'slurm': choose local, ray or module:Class"):
        registry.check("executor", "slurm")
    with pytest.raises(registry.RegistryError, match="cannot load agent 'nosuch.mod:Agent'"):
        registry.check("agent", "nosuch.mod:Agent")


def test_names_resolve_lazily_to_their_implementations():
    from clawgym.agent import LLMAgent, NoopAgent
    from clawgym.models import ScriptedModel
    from clawgym.sandbox import ProcessSandbox

    assert registry.resolve("sandbox", "process") is ProcessSandbox
    assert registry.resolve("agent", "clawgym.agent:NoopAgent") is NoopAgent  # module:Class
    assert isinstance(registry.make_agent("noop"), NoopAgent)
    model = registry.load_model("scripted:" + __file__.replace("test_registry.py", "data/slow_script.json"))
    assert isinstance(model, ScriptedModel) and isinstance(registry.make_agent("llm", model), LLMAgent)
    with pytest.raises(registry.RegistryError, match="needs a model"):
        registry.make_agent("llm")
    assert isinstance(registry.make_executor("local", concurrency=3, address=None), LocalExecutor)


@requires_bwrap
def test_a_users_executor_runs_a_run(tmp_path, repo_tasks):
    tasks = repo_tasks[:2]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    with execute(tasks, cfg, tmp_path, executor=f"{__name__}:SerialExecutor") as store:
        assert [r.state for r in store.rows()] == ["done", "done"]


def test_run_defaults_and_the_folder_rule(tmp_path):
    src, settings = starter_source(None, {"agent": "llm", "model": None, "max_steps": 7, "turn_tokens": None})
    assert src.is_dir()
    assert settings == {"agent": "llm", **STARTER_DEFAULTS, "max_steps": 7}  # only what was left unset
    assert starter_source(None, {"agent": "noop", "model": None})[1] == {"agent": "noop", "model": None}
    assert run_folder(None, root=tmp_path).parent == tmp_path
    with pytest.raises(RunSetupError, match="--resume needs --out"):
        run_folder(None, resume=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(RunSetupError, match="not an empty folder"):
        run_folder(tmp_path / "busy")
    with pytest.raises(RunSetupError, match="holds no run to resume"):
        run_folder(tmp_path / "busy", resume=True)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / RunStore.DB).write_bytes(b"")
    with pytest.raises(RunSetupError, match="already holds a run: pass --resume"):
        run_folder(tmp_path / "run")
    assert run_folder(tmp_path / "run", resume=True) == tmp_path / "run"
