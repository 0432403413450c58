"""GRPO: episodes as token-exact sequences (model tokens vs environment tokens), the verifier's
score as reward, group-relative advantages, and a real TRL step on a tiny random model."""

from __future__ import annotations

import textwrap

import pytest

pytest.importorskip("trl")

import torch  # noqa: E402

from clawgym.agent import EnvConfig  # noqa: E402
from clawgym.models._batch import GenResult  # noqa: E402
from clawgym.models._hf import HFModel  # noqa: E402
from clawgym.tasks import load_tasks  # noqa: E402
from clawgym.train._grpo import (  # noqa: E402
    GRPOConfigError, GRPOTrainConfig, RolloutFunc, build_trainer, run_episode,
)
from tests.conftest import requires_bwrap  # noqa: E402
from tests.models.test_hf import build  # noqa: E402

pytestmark = requires_bwrap

GOOD = '<tool_call>\n{"name": "write", "arguments": {"path": "out.txt", "content": "hello"}}\n</tool_call>'
BAD = '<tool_call>\n{"name": "write", "arguments": {"path": "out.txt", "content": "nope"}}\n</tool_call>'


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny-grpo"))


def write_hello_task(root):
    """A task folder: write "hello" to out.txt (score 1 if so, else 0)."""
    root = root / "hello-task"
    (root / "workspace").mkdir(parents=True)
    (root / "checks").mkdir()
    (root / "workspace" / "note.txt").write_text("say hello\n")
    (root / "instruction.md").write_text("Write the word hello to out.txt.\n")
    (root / "task.toml").write_text('id = "hello-task"\ntitle = "hello"\ncategory = "test"\n')
    (root / "checks" / "check.py").write_text(textwrap.dedent('''
        import json, os, sys
        def grade(transcript, workspace_path):
            p = os.path.join(workspace_path, "out.txt")
            ok = os.path.isfile(p) and open(p).read().strip() == "hello"
            return {"hello_written": 1.0 if ok else 0.0}
        if __name__ == "__main__":
            print(json.dumps(grade([], sys.argv[1])))
    '''))
    return root


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    return load_tasks(write_hello_task(tmp_path_factory.mktemp("tasks")))[0]


class ForcingEngine:
    """Stands in for the batching engine: each turn's text is scripted (by episode and turn,
    read from the request's seed), its tokens forced through the real model so the logprobs
    are the model's own (log_softmax at temperature 1). It records every prompt it was given."""

    def __init__(self, model: HFModel, scripts: dict[int, list[str]]):
        self.model, self.scripts, self.calls = model, scripts, []

    def generate(self, req):
        episode, turn = divmod(req.seed, 1000)
        text = self.scripts[episode][min(turn, len(self.scripts[episode]) - 1)]
        tok = self.model.tokenizer
        ids = tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        ids = ids[: req.max_new_tokens]
        with torch.no_grad():
            logits = self.model.model(torch.tensor([req.prompt_ids + ids])).logits[0].float()
        lp = torch.log_softmax(logits[len(req.prompt_ids) - 1:-1] / req.temperature, -1)
        self.calls.append((episode, turn, list(req.prompt_ids), ids))
        return GenResult(token_ids=ids, logprobs=lp.gather(1, torch.tensor(ids)[:, None])[:, 0].tolist(),
                         finish_reason="stop" if ids[-1] == tok.eos_token_id else "length",
                         prompt_tokens=len(req.prompt_ids))


def scripted(tiny, scripts) -> HFModel:
    model = HFModel.from_pretrained(tiny)
    model._engine = ForcingEngine(model, scripts)
    return model


def sequence_logprobs(model: HFModel, prompt_ids, completion_ids, temperature=1.0) -> list[float]:
    with torch.no_grad():
        logits = model.model(torch.tensor([prompt_ids + completion_ids])).logits[0].float()
    lp = torch.log_softmax(logits[len(prompt_ids) - 1:-1] / temperature, -1)
    return lp.gather(1, torch.tensor(completion_ids)[:, None])[:, 0].tolist()


def test_an_episode_is_one_token_exact_sequence_with_env_tokens_masked(tiny, task):
    model = scripted(tiny, {0: [GOOD, "Done."]})
    ep = run_episode(model, task, EnvConfig(max_steps=4, tools=["read", "write"]), seed=0, max_turn_tokens=64)
    tok = model.tokenizer
    calls = model._engine.calls
    assert [c[:2] for c in calls] == [(0, 0), (0, 1)] and ep.turns == 2 and ep.stop_reason == "final"
    assert ep.reward == 1.0 and ep.trajectory.verification.score == 1.0
    turn1, turn2 = calls[0][3], calls[1][3]
    # the second turn was generated from exactly: prompt + turn 1 + environment tokens
    assert calls[0][2] == ep.prompt_ids
    env = ep.completion_ids[len(turn1): len(ep.completion_ids) - len(turn2)]
    assert calls[1][2] == ep.prompt_ids + turn1 + env
    assert ep.completion_ids == turn1 + env + turn2
    assert ep.env_mask == [1] * len(turn1) + [0] * len(env) + [1] * len(turn2)
    env_text = tok.decode(env)
    assert "<tool_response>" in env_text and "out.txt" in env_text and env_text.endswith("<|im_start|>assistant\n")
    assert tok.decode(turn1, skip_special_tokens=True) == GOOD
    # the model's own tokens carry their sampling logprobs; re-scoring the whole sequence agrees
    full = sequence_logprobs(model, ep.prompt_ids, ep.completion_ids)
    model_pos = [i for i, m in enumerate(ep.env_mask) if m]
    assert [ep.logprobs[i] for i in model_pos] == pytest.approx([full[i] for i in model_pos], abs=1e-4)
    assert all(ep.logprobs[i] == 0.0 for i, m in enumerate(ep.env_mask) if not m)
    # the prompt is the inference rendering (system + user + the tools in the system prompt)
    prompt_text = tok.decode(ep.prompt_ids)
    assert "Write the word hello" in prompt_text and '"name": "write"' in prompt_text and '"name": "exec"' not in prompt_text


def test_the_completion_budget_truncates_loudly(tiny, task):
    model = scripted(tiny, {0: [BAD, BAD, BAD]})
    ep = run_episode(model, task, EnvConfig(max_steps=5, tools=["write"]), seed=0, max_turn_tokens=64,
                     max_completion_length=80)
    assert ep.budget_truncated and ep.stop_reason == "max_tokens" and len(ep.completion_ids) <= 80
    assert ep.reward == 0.0 and ep.trajectory.verification is not None


def test_grpo_step_rewards_advantages_masks_and_update(tiny, task, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    policy = AutoModelForCausalLM.from_pretrained(tiny)
    tok = AutoTokenizer.from_pretrained(tiny)
    cfg = GRPOTrainConfig(tasks="", output_dir=str(tmp_path / "out"), num_generations=4, max_steps=1,
                          learning_rate=1e-2, max_turn_tokens=64, max_completion_length=256, max_env_steps=3,
                          tools=["read", "write"], save=False)
    trainer, rollout = build_trainer(cfg, [task], policy, tok)
    # episodes 0 and 2 write "hello" (score 1), 1 and 3 write something else (score 0)
    scripts = {0: [GOOD, "Done."], 1: [BAD, "Done."], 2: [GOOD, "Done."], 3: [BAD, "Done."]}
    model = HFModel(policy, tok, name="policy")
    model._engine = ForcingEngine(model, scripts)
    rollout._model = model
    captured = {}
    inner = trainer._generate_and_score_completions

    def spy(inputs):
        out = inner(inputs)
        captured.update(out)
        return out

    trainer._generate_and_score_completions = spy
    before = {n: p.detach().clone() for n, p in policy.named_parameters()}
    trainer.train()
    eps = rollout.episodes
    assert [e.reward for e in eps] == [1.0, 0.0, 1.0, 0.0]
    # group-relative advantages: (r - mean) / std over the group of 4
    r = torch.tensor([1.0, 0.0, 1.0, 0.0])
    expect = (r - r.mean()) / (r.std() + 1e-4)
    assert captured["advantages"].tolist() == pytest.approx(expect.tolist(), abs=1e-4)
    # token ids handed to TRL are the episodes' own; the loss mask excludes environment tokens
    for i, e in enumerate(eps):
        n = len(e.completion_ids)
        assert captured["completion_ids"][i, :n].tolist() == e.completion_ids
        assert captured["completion_mask"][i, :n].tolist() == [1] * n
        assert captured["tool_mask"][i, :n].tolist() == e.env_mask
        assert 0 in e.env_mask and e.env_mask[0] == 1
        p = captured["prompt_ids"][i][captured["prompt_mask"][i].bool()].tolist()
        assert p == e.prompt_ids
    assert trainer.state.global_step == 1
    assert any(not torch.equal(before[n], p) for n, p in policy.named_parameters())
    logged = {k for entry in trainer.state.log_history for k in entry}
    assert {"rollout/truncated_by_max_completion_length", "rollout/episode_truncated", "reward"} <= logged


def test_grpo_with_real_sampling_on_a_starter_task(tiny, tmp_path):
    """The tiny random model samples through the batching engine for real: 1 step, G=2."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from clawgym.starter import starter_tasks

    task = next(t for t in starter_tasks() if t.id == "starter-notes-merge")
    policy = AutoModelForCausalLM.from_pretrained(tiny)
    tok = AutoTokenizer.from_pretrained(tiny)
    cfg = GRPOTrainConfig(output_dir=str(tmp_path / "out"), num_generations=2, max_steps=1, max_turn_tokens=16,
                          max_completion_length=32, max_env_steps=2, save=False)
    trainer, rollout = build_trainer(cfg, [task], policy, tok)
    trainer.train()
    eps = rollout.episodes
    assert len(eps) == 2 and all(e.reward == 0.0 and e.trajectory.verification is not None for e in eps)
    assert rollout._model.engine().stats.max_batch_seen == 2  # the group was decoded together
    for e in eps:
        model_pos = [i for i, m in enumerate(e.env_mask) if m]
        full = sequence_logprobs(rollout._model, e.prompt_ids, e.completion_ids)
        assert [e.logprobs[i] for i in model_pos] == pytest.approx([full[i] for i in model_pos], abs=1e-3)


def test_config_is_checked_and_reads_toml(tmp_path):
    p = tmp_path / "grpo.toml"
    p.write_text('tasks = "t"\nnum_generations = 8\nmax_completion_length = 512\ntools = ["exec"]\n')
    cfg = GRPOTrainConfig.from_toml(p)
    assert cfg.num_generations == 8 and cfg.tools == ["exec"] and cfg.max_completion_length == 512
    with pytest.raises(GRPOConfigError, match="unknown"):
        GRPOTrainConfig.from_dict({"nope": 1})
    with pytest.raises(GRPOConfigError, match="group of one"):
        GRPOTrainConfig.from_dict({"num_generations": 1})
    with pytest.raises(GRPOConfigError, match="executor"):
        GRPOTrainConfig.from_dict({"executor": "slurm"})


def test_device_flows_into_the_grpo_trainer_args(tmp_path):
    from clawgym.train._grpo import trl_args

    with pytest.raises(GRPOConfigError, match="unknown device"):
        GRPOTrainConfig.from_dict({"device": "tpu"})
    args = trl_args(GRPOTrainConfig(output_dir=str(tmp_path / "o"), device="cpu"))
    assert args.use_cpu and args.bf16 is False and args.gradient_checkpointing is False
