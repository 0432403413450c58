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


# -- one registry behind every API: sandboxes, agents, models, judges ----------------------------

def test_every_api_builds_plug_ins_through_the_one_table(monkeypatch):
    from clawgym import agent, models, sandbox

    script = __file__.replace("test_registry.py", "data/slow_script.json")
    # a backend, an agent, a model registered once are known to every API that names them
    monkeypatch.setitem(registry.REGISTRY["sandbox"], "proc2", registry.Entry("clawgym.sandbox:ProcessSandbox"))
    monkeypatch.setitem(registry.REGISTRY["agent"], "idle", registry.Entry("clawgym.agent:NoopAgent"))
    monkeypatch.setitem(registry.REGISTRY["model"], "script2",
                        registry.Entry("clawgym.models:ScriptedModel.from_file", arg="FILE"))
    assert sandbox.sandbox_class("proc2") is sandbox.ProcessSandbox and "proc2" in sandbox.BACKENDS
    assert dict(sandbox.BACKENDS)["docker"] is sandbox.DockerSandbox
    assert isinstance(agent.make_agent("idle"), agent.NoopAgent)
    assert isinstance(models.load_model(f"script2:{script}"), models.ScriptedModel)
    assert isinstance(registry.load_judge(f"script2:{script}"), models.ScriptedModel)  # judges are models
    assert registry.names("judge") == registry.names("model")
    # the same refusals everywhere, with the known names
    with pytest.raises(ValueError, match="unknown sandbox 'bwarp': did you mean 'bwrap'"):
        sandbox.sandbox_class("bwarp")
    with pytest.raises(models.ModelError, match="did you mean 'smollm2'"):
        models.load_model("smolm2")
    with pytest.raises(ValueError, match="unknown agent 'nope'.*openclaw"):
        agent.make_agent("nope")
    # openclaw is an agent like the others: built with its model, refused without one
    oc = agent.make_agent("openclaw", models.load_model(f"scripted:{script}"))
    assert isinstance(oc, agent.OpenClawAgent)
    with pytest.raises(registry.RegistryError, match="needs a model"):
        agent.make_agent("openclaw")


def test_a_missing_library_names_what_to_install(monkeypatch, tmp_path):
    (tmp_path / "users_plugin.py").write_text("import nosuchdep_xyz\nclass Agent: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(registry.RegistryError, match="needs the Python module 'nosuchdep_xyz'.*pip install nosuchdep_xyz"):
        registry.resolve("agent", "users_plugin:Agent")
    monkeypatch.setitem(registry.REGISTRY["executor"], "slurm",
                        registry.Entry("clawgym.runs:LocalExecutor", modules=("nosuchdep_xyz",),
                                       install="pip install 'clawgym[slurm]'"))
    with pytest.raises(registry.RegistryError, match=r"needs nosuchdep_xyz.*pip install 'clawgym\[slurm\]'"):
        registry.make_executor("slurm")


def test_the_teacher_runs_its_solution_in_the_rollouts_own_backend():
    from clawgym.train import TeacherAgent

    class Docker:  # a session only carries its registry name here: no daemon needed
        backend = "docker"

    assert TeacherAgent()._backend(Docker()) == "docker"  # not turned into bwrap
    assert TeacherAgent(backend="process")._backend(Docker()) == "process"
