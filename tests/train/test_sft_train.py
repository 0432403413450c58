"""SFT training: TRL gets exactly our token ids and labels (-100 outside assistant turns), trains
a few steps on a tiny random model, and the checkpoint loads back with `hf:PATH` and generates."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("trl")

from clawgym.models import SamplingParams, load_model  # noqa: E402
from clawgym.train import (  # noqa: E402
    SFTConfigError, SFTDataConfig, SFTTrainConfig, build_sft_dataset, tokenize_sft_dataset, train_sft,
)
from tests.models.test_hf import build  # noqa: E402
from tests.train.test_sft_data import traj, write_run  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("sftrun")
    return write_run(root / "run", [traj("t1", 0, 1.0), traj("t2", 0, 1.0, word="WORLD"),
                                    traj("t3", 0, 1.0, word="MAPLE"), traj("t4", 0, 0.0, word="NOPE")])


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_trl_labels_are_our_ids_masked_outside_assistant_turns(run_dir, tmp_path):
    from trl import SFTTrainer

    from clawgym.train._sft import trl_args

    base = build(tmp_path / "base")
    chat = load_model(f"hf:{base}")
    ds = build_sft_dataset([run_dir])
    tok = tokenize_sft_dataset(ds, chat.tokenizer)
    cfg = SFTTrainConfig(output_dir=str(tmp_path / "o"), max_steps=1)
    trainer = SFTTrainer(model=chat.model, args=trl_args(cfg), processing_class=chat.tokenizer,
                         train_dataset=tok.select_columns(["input_ids", "assistant_masks"]))
    prepared = trainer.train_dataset
    for i in range(len(tok)):
        ids, mask = tok[i]["input_ids"], tok[i]["assistant_masks"]
        assert prepared[i]["input_ids"] == ids
        assert prepared[i]["labels"] == [t if m else -100 for t, m in zip(ids, mask)]
    batch = trainer.data_collator([prepared[0], prepared[1]])
    n0 = len(prepared[0]["input_ids"])
    assert batch["input_ids"][0, :n0].tolist() == tok[0]["input_ids"]
    assert (batch["labels"][0, n0:] == -100).all() or batch["labels"].shape[1] == n0


def test_train_three_steps_then_load_back_and_generate(run_dir, tmp_path):
    base = build(tmp_path / "base")
    before = _weights(load_model(f"hf:{base}").model)
    out = tmp_path / "ckpt"
    cfg = SFTTrainConfig(runs=[str(run_dir)], model=f"hf:{base}", output_dir=str(out), max_steps=3, max_length=None,
                         learning_rate=1e-2, batch_size=2, export_jsonl=str(tmp_path / "sft.jsonl"))
    res = train_sft(cfg)
    assert res.steps == 3 and res.examples == 3 and res.data_stats["dropped_score"] == 1
    assert res.tokens > 0 and res.tokens_per_s > 0 and res.train_loss is not None
    assert len((tmp_path / "sft.jsonl").read_text().splitlines()) == 3
    assert json.loads((out / "clawgym_sft.json").read_text())["steps"] == 3
    model = load_model(f"hf:{out}")
    after = _weights(model.model)
    assert any(not (before[k] == after[k]).all() for k in before)  # it trained
    resp = model.chat([{"role": "user", "content": "hi"}], None, SamplingParams(max_tokens=5))
    assert resp.token_ids and resp.usage.completion_tokens <= 5
    assert model.tokenizer.chat_template == load_model(f"hf:{base}").tokenizer.chat_template


def test_lora_is_merged_into_a_plain_checkpoint(run_dir, tmp_path):
    pytest.importorskip("peft")
    base = build(tmp_path / "base")
    out = tmp_path / "lora"
    cfg = SFTTrainConfig.from_dict({"runs": [str(run_dir)], "model": f"hf:{base}", "output_dir": str(out),
                                    "max_steps": 2, "learning_rate": 5e-2, "max_length": 100000,
                                    "lora": {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}})
    train_sft(cfg)
    assert not (out / "adapter_config.json").exists()
    model = load_model(f"hf:{out}")
    assert not any("lora" in k for k in model.model.state_dict())
    before, after = _weights(load_model(f"hf:{base}").model), _weights(model.model)
    changed = {k for k in before if not (before[k] == after[k]).all()}
    assert changed and all("q_proj" in k or "v_proj" in k for k in changed)


def test_config_from_toml(tmp_path):
    p = tmp_path / "sft.toml"
    p.write_text('runs = ["r1"]\nmodel = "smollm2"\nmax_steps = 7\nlora = true\n'
                 '[data]\nmin_score = 0.5\nstop_reasons = ["final"]\n')
    cfg = SFTTrainConfig.from_toml(p)
    assert cfg.max_steps == 7 and cfg.lora is not None and cfg.data == SFTDataConfig(min_score=0.5,
                                                                                      stop_reasons=("final",))
    p.write_text("epochz = 3\n")
    with pytest.raises(SFTConfigError, match="epochz"):
        SFTTrainConfig.from_toml(p)


def test_cli_train_sft(run_dir, tmp_path):
    import subprocess
    import sys

    base = build(tmp_path / "base")
    out = tmp_path / "cli-ckpt"
    r = subprocess.run([sys.executable, "-m", "clawgym", "train", "sft", str(run_dir), "--model", f"hf:{base}",
                        "--out", str(out), "--max-steps", "2", "--max-length", "100000", "--lr", "1e-3"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "trained 2 steps on 3 examples" in r.stdout and f"hf:{out}" in r.stdout
    assert load_model(f"hf:{out}").chat([{"role": "user", "content": "x"}], None,
                                        SamplingParams(max_tokens=3)).token_ids
    bad = subprocess.run([sys.executable, "-m", "clawgym", "train", "sft", str(tmp_path), "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "not a run folder" in bad.stderr


def test_trl_args_place_the_model_and_never_checkpoint_unless_asked(tmp_path):
    import torch

    from clawgym.train._sft import trl_args

    args = trl_args(SFTTrainConfig(output_dir=str(tmp_path / "o"), device="cpu", batch_size=4))
    assert args.use_cpu and args.bf16 is False  # fp32 on CPU (TRL's own default is bf16 on)
    assert args.gradient_checkpointing is False  # TRL's own default is on
    assert getattr(args, "activation_checkpointing", False) is False
    assert trl_args(SFTTrainConfig(output_dir=str(tmp_path / "o"), device="cpu",
                                   gradient_checkpointing=True)).gradient_checkpointing is True
    if not torch.cuda.is_available():
        with pytest.raises(SFTConfigError, match="no CUDA GPU.*--device cpu"):
            trl_args(SFTTrainConfig(output_dir=str(tmp_path / "o"), device="cuda"))
    with pytest.raises(SFTConfigError, match="unknown device"):
        trl_args(SFTTrainConfig(output_dir=str(tmp_path / "o"), device="tpu"))


def test_warm_up_trains_from_its_first_step():
    import torch
    from transformers import get_scheduler

    from clawgym.train._sft import warmup_from_first_step

    def lrs(make):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-4)
        sched, out = make(opt), []
        for _ in range(16):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out

    ours = lrs(lambda o: warmup_from_first_step("cosine", o, 2, 16))
    theirs = lrs(lambda o: get_scheduler("cosine", o, num_warmup_steps=2, num_training_steps=16))
    assert theirs[0] == 0.0 and ours[0] == pytest.approx(1e-4 / 3) and ours[1] == pytest.approx(2e-4 / 3)
    assert ours[2:] == pytest.approx(theirs[2:]) and ours[-1] > 0


def test_examples_dropped_as_too_long_are_reported(tmp_path, caplog):
    import logging

    from transformers import AutoTokenizer

    base = build(tmp_path / "base")
    run = write_run(tmp_path / "run", [traj("t1", 0, 1.0, word="HI"), traj("t2", 0, 1.0, word="CEDAR " * 30)])
    lengths = sorted(tokenize_sft_dataset(build_sft_dataset([run]), AutoTokenizer.from_pretrained(base))["length"])
    cfg = SFTTrainConfig(runs=[str(run)], model=f"hf:{base}", output_dir=str(tmp_path / "o"), max_steps=1,
                         max_length=lengths[-1] - 1, device="cpu", warmup_steps=0.1)
    with caplog.at_level(logging.WARNING, logger="clawgym.train.sft"):
        res = train_sft(cfg)
    dropped = sum(n > lengths[-1] - 1 for n in lengths)
    assert res.dropped_too_long == dropped >= 1 and res.data_stats["dropped_too_long"] == dropped
    assert res.examples == len(lengths) - dropped and res.device == "cpu"
    assert any("dropped as longer than max_length" in r.getMessage() for r in caplog.records)
    assert res.log[0]["learning_rate"] > 0  # the first (warm-up) step trained
