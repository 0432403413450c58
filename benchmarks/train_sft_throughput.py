"""SFT throughput: ClawGym's `train_sft` (TRL's SFTTrainer under our settings) against a plain
PyTorch training loop on the same model (a second copy of the same weights), the same tokenized
examples, the same steps, in the same run. The plain loop is the limit: batch 1, fp32, torch
AdamW, the backbone forward, the LM head only where the assistant mask is 1 (as TRL's fused head
does), cross-entropy, backward, step; nothing else.

The CPU here is shared, so the two are paired step by step: after each of TRL's optimizer steps
(timed from on_step_begin to on_step_end) a callback runs one plain-loop step on the same
example (found by its token count) and times it. Both see the same load; the ratio is
sum(plain seconds) / sum(ours seconds) over the steps after the first (allocator and
thread-pool warm-up), and the median of the per-step ratios is printed beside it.

`--before` also runs our path as it was before issue 17 (gradient checkpointing on: TRL's
default, which the project's "off" never reached), paired the same way.

    python benchmarks/train_sft_throughput.py [--model smollm2|tiny] [--steps 6] [--threads N] [--before]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def examples(n: int, tokenizer) -> object:
    """n teacher-like conversations (system prompt with the tool schemas, read, write, answer),
    tokenized by the one renderer with assistant masks."""
    from clawgym.train import build_sft_dataset, tokenize_sft_dataset
    from tests.train.test_sft_data import traj

    words = ["alpha", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "indigo", "juniper"]
    trajs = [traj(f"t{i}", 0, 1.0, word=" ".join(words[(i + k) % len(words)] for k in range(1 + 3 * i)))
             .model_dump(mode="json") for i in range(n)]
    return tokenize_sft_dataset(build_sft_dataset(trajs), tokenizer)


def load(kind: str, tmp: Path):
    from clawgym.models import load_model

    if kind == "smollm2":
        chat = load_model("smollm2", device="cpu", dtype="float32")
    else:
        from tests.models.test_hf import build

        path = tmp / "tiny"
        if not path.exists():
            build(path)
        chat = load_model(f"hf:{path}", device="cpu", dtype="float32")
    return chat.model, chat.tokenizer


class PairedPlain:
    """A plain PyTorch training loop on its own copy of the weights, stepped from a TRL callback."""

    def __init__(self, kind: str, tmp: Path, tok_ds):
        import torch

        self.model, _ = load(kind, tmp)
        self.model.train()
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-5, weight_decay=0.0)
        self.by_len = {len(r["input_ids"]): r for r in tok_ds}
        self.rows = list(tok_ds)

    def step(self, tokens: int, i: int) -> float:
        import torch

        row = self.by_len.get(tokens) or self.rows[i % len(self.rows)]
        ids = torch.tensor([row["input_ids"]])
        mask = torch.tensor(row["assistant_masks"][1:], dtype=torch.bool)  # targets are the next tokens
        t = time.perf_counter()
        hidden = self.model.model(input_ids=ids).last_hidden_state[0, :-1]
        loss = torch.nn.functional.cross_entropy(self.model.lm_head(hidden[mask]).float(), ids[0, 1:][mask])
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return time.perf_counter() - t


def ours(kind: str, tmp: Path, tok_ds, steps: int, *, checkpointing: bool = False) -> dict:
    """train_sft on the tokenized examples (one epoch of `steps` examples at batch 1), each of
    its steps followed by one plain-loop step on the same example."""
    from transformers import TrainerCallback

    from clawgym.train import SFTTrainConfig, train_sft

    model, tokenizer = load(kind, tmp)
    plain = PairedPlain(kind, tmp, tok_ds)
    steps_log: list[tuple[float, float, int]] = []  # (ours s, plain s, tokens)

    class Paired(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):  # noqa: ANN001
            self.t, self.n = time.perf_counter(), state.num_input_tokens_seen

        def on_step_end(self, args, state, control, **kw):  # noqa: ANN001
            took = time.perf_counter() - self.t
            tokens = int(state.num_input_tokens_seen - self.n)
            steps_log.append((took, plain.step(tokens, len(steps_log)), tokens))

    ds = tok_ds.remove_columns([c for c in ("input_ids", "assistant_masks", "length") if c in tok_ds.column_names])
    cfg = SFTTrainConfig(output_dir=str(tmp / "ours"), max_steps=steps, batch_size=1, learning_rate=1e-5,
                         max_length=None, warmup_steps=0, lr_scheduler="constant", device="cpu",
                         gradient_checkpointing=checkpointing, logging_steps=1)
    res = train_sft(cfg, dataset=ds, model=model, tokenizer=tokenizer, callbacks=[Paired()])
    steady = steps_log[1:] or steps_log
    o, p, n = (sum(x[k] for x in steady) for k in range(3))
    ratios = sorted(b / a for a, b, _ in steady)
    return {"ours_tps": n / o, "plain_tps": n / p, "ratio": p / o, "median_ratio": ratios[len(ratios) // 2],
            "ours_step_s": o / len(steady), "plain_step_s": p / len(steady), "whole_tps": res.tokens_per_s,
            "steps": [(round(a, 2), round(b, 2), c) for a, b, c in steps_log]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["smollm2", "tiny"], default="smollm2")
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    ap.add_argument("--before", action="store_true", help="also our path as before issue 17 (checkpointing on)")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        _, tokenizer = load(args.model, tmp)
        tok_ds = examples(args.steps, tokenizer)
        lengths = tok_ds["length"]
        masked = sum(sum(r) for r in tok_ds["assistant_masks"])
        print(f"{args.model}, {len(lengths)} examples of {min(lengths)}-{max(lengths)} tokens "
              f"({masked / sum(lengths):.0%} assistant tokens), batch 1, {args.steps} steps, "
              f"torch threads {torch.get_num_threads()}")
        rows = [("clawgym train_sft (TRL SFTTrainer)", ours(args.model, tmp, tok_ds, args.steps))]
        if args.before:
            rows.append(("train_sft before issue 17 (checkpointing on)",
                         ours(args.model, tmp, tok_ds, args.steps, checkpointing=True)))
        for name, r in rows:
            print(f"{name:46s} {r['ours_tps']:7.1f} tokens/s ({r['ours_step_s']:.2f} s/step); paired plain loop "
                  f"{r['plain_tps']:7.1f} tokens/s ({r['plain_step_s']:.2f} s/step)")
            print(f"{'':46s} ratio ours/plain {r['ratio']:.2f} (median per step {r['median_ratio']:.2f}); "
                  f"whole call incl. set-up {r['whole_tps']:.1f} tokens/s; steps (ours s, plain s, tokens) {r['steps']}")
        print(f"ratio ours / plain loop: {rows[0][1]['ratio']:.2f}")


if __name__ == "__main__":
    main()
