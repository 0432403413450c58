"""`clawgym train grpo --tasks DIR --model hf:PATH --out DIR`: one step end to end, then the
checkpoint loads straight back as `hf:OUT`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("trl")

from tests.conftest import requires_bwrap  # noqa: E402
from tests.models.test_hf import build  # noqa: E402
from tests.train.test_grpo import write_hello_task  # noqa: E402


def clawgym(*args, **kw):
    return subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True,
                          timeout=600, **kw)


@requires_bwrap
def test_train_grpo_cli_one_step_and_the_checkpoint_loads(tmp_path):
    task_dir = write_hello_task(tmp_path)
    tiny = build(tmp_path / "tiny")
    cfg = tmp_path / "grpo.toml"
    cfg.write_text('max_turn_tokens = 12\nmax_completion_length = 24\nmax_env_steps = 2\ntools = ["write"]\n')
    out = tmp_path / "out"
    r = clawgym("train", "grpo", "--tasks", task_dir, "--model", f"hf:{tiny}", "--out", out, "--config", cfg,
                "--max-steps", 1, "--group", 2)
    assert r.returncode == 0, r.stderr
    assert "trained 1 GRPO steps" in r.stdout and "step 1: reward" in r.stderr
    meta = json.loads((out / "clawgym_grpo.json").read_text())
    assert meta["steps"] == 1 and meta["config"]["num_generations"] == 2
    assert any("rollout/truncated_by_max_completion_length" in e for e in meta["log"])
    from clawgym.models import SamplingParams, load_model

    reply = load_model(f"hf:{out}").chat([{"role": "user", "content": "hi"}], None, SamplingParams(max_tokens=4))
    assert reply.token_ids


def test_train_grpo_cli_refuses_bad_settings(tmp_path):
    r = clawgym("train", "grpo", "--tasks", tmp_path, "--group", 1)
    assert r.returncode != 0 and "group of one" in (r.stderr + r.stdout)
    r = clawgym("train", "grpo", "--model", "smollm2")
    assert r.returncode != 0 and "--tasks" in (r.stderr + r.stdout)
