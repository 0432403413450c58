"""SFT data path: ClawGym's `train_sft` (trajectories read from a run folder, filtered, rendered
the way the model is prompted at inference, assistant-only masks, TRL SFTTrainer) against plain
TRL (`SFTTrainer` given the same conversations as a `messages` dataset and tokenizing them
itself), same model, same examples in the same order, same steps, same run, interleaved.

Tokens/s = tokens trained (padding excluded, TRL's own count) / wall time of the whole path:
data loading and preparation, trainer set-up and the training steps. Target (issue 12): ours
>= 0.95x plain TRL.

    python benchmarks/train_sft_data.py [--model smollm2|tiny] [--examples 16] [--steps 4] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_run(folder: Path, n: int) -> Path:
    from tests.train.test_sft_data import traj, write_run

    words = ["alpha", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "indigo", "juniper"]
    trajs = [traj(f"t{i}", 0, 1.0, word=" ".join(words[(i + k) % len(words)] for k in range(1 + i % 7)))
             for i in range(n)]
    return write_run(folder, trajs)


def base_model(kind: str, tmp: Path) -> str:
    if kind == "smollm2":
        return "smollm2"
    from tests.models.test_hf import build

    return f"hf:{build(tmp / 'tiny')}"


def ours(run: Path, spec: str, steps: int, out: Path, max_length: int) -> tuple[int, float, float]:
    from clawgym.models import load_model
    from clawgym.train import SFTTrainConfig, train_sft

    chat = load_model(spec)
    t = time.perf_counter()
    res = train_sft(SFTTrainConfig(runs=[str(run)], output_dir=str(out), max_steps=steps, max_length=max_length,
                                   learning_rate=1e-5), model=chat.model, tokenizer=chat.tokenizer)
    total = time.perf_counter() - t
    return res.tokens, total, res.seconds


def plain_trl(run: Path, spec: str, steps: int, out: Path, max_length: int) -> tuple[int, float, float, bool]:
    """Plain TRL on the same conversations: the run's trajectories as a `messages` dataset in
    the form the chat template takes (tool calls and results as text, tools in the system
    prompt: what TRL needs to see the same text), tokenized by TRL itself."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from clawgym.models import load_model
    from clawgym.runs import RunStore
    from clawgym.train import ChatRenderer, clean_messages

    chat = load_model(spec)
    t = time.perf_counter()
    store = RunStore.read(run)
    renderer = ChatRenderer(chat.tokenizer)
    rows = [{"messages": renderer.template_messages(clean_messages(tr["messages"]), tr["tools"])}
            for tr in store.trajectories()]
    store.close()
    ds = Dataset.from_list(rows)
    chat.model.train()
    for assistant_only in (True, False):
        try:
            args = SFTConfig(output_dir=str(out), max_steps=steps, learning_rate=1e-5, per_device_train_batch_size=1,
                             max_length=max_length, report_to="none", save_strategy="no", disable_tqdm=True,
                             use_cpu=not torch.cuda.is_available(), assistant_only_loss=assistant_only,
                             include_num_input_tokens_seen="non_padding", logging_steps=1,
                             lr_scheduler_type="cosine", seed=0)
            trainer = SFTTrainer(model=chat.model, args=args, train_dataset=ds, processing_class=chat.tokenizer)
            break
        except Exception as exc:  # TRL cannot mask assistant turns of this template: train on all tokens
            print(f"  (plain TRL, assistant_only_loss={assistant_only}: {type(exc).__name__}: {str(exc)[:120]})")
    t1 = time.perf_counter()
    trainer.train()
    t2 = time.perf_counter()
    trainer.save_model(str(out))
    chat.tokenizer.save_pretrained(str(out))
    return int(trainer.state.num_input_tokens_seen), time.perf_counter() - t, t2 - t1, assistant_only


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["smollm2", "tiny"], default="smollm2")
    ap.add_argument("--examples", type=int, default=16)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=4096)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    tmp = Path(tempfile.mkdtemp(prefix="sftbench-"))
    run = make_run(tmp / "run", a.examples)
    spec = base_model(a.model, tmp)
    rows = {"clawgym": [], "trl": []}
    for i in range(a.repeat):
        for name in (("trl", "clawgym") if i % 2 == 0 else ("clawgym", "trl")):
            if name == "trl":
                tokens, total, train_s, masked = plain_trl(run, spec, a.steps, tmp / f"trl{i}", a.max_length)
            else:
                tokens, total, train_s = ours(run, spec, a.steps, tmp / f"ours{i}", a.max_length)
            rows[name].append((tokens, total, train_s))
            print(f"  {name:8s} run {i}: {tokens} tokens, {total:.2f} s all ({tokens / total:.1f} tok/s), "
                  f"train {train_s:.2f} s ({tokens / train_s:.1f} tok/s)")
    med = {k: (statistics.median(t / s for t, s, _ in v), statistics.median(t / s for t, _, s in v))
           for k, v in rows.items()}
    ratio = med["clawgym"][0] / med["trl"][0]
    print(json.dumps({"model": a.model, "examples": a.examples, "steps": a.steps, "repeat": a.repeat,
                      "trl_assistant_only_loss": masked,
                      "tokens_per_s": {k: round(v[0], 2) for k, v in med.items()},
                      "train_only_tokens_per_s": {k: round(v[1], 2) for k, v in med.items()},
                      "ratio_clawgym_over_trl": round(ratio, 3), "target": ">= 0.95",
                      "ok": ratio >= 0.95}, indent=2))


if __name__ == "__main__":
    main()
