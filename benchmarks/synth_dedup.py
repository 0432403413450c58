"""Near-duplicate removal over 13,500 synthesized tasks (ClawGym-SynData's size) with MinHash LSH
on CPU (issue target: <= 30 s; ClawGym embeds every task with a sentence encoder on a GPU).

The 13.5K task texts are made procedurally: instructions of 60-120 words over 11 categories,
built from a vocabulary of verbs, objects, file names and constraints, of which 10 % are planted
near-duplicates (a copy of an earlier text with 1-3 words changed) and 2 % exact duplicates.
Reports the time, how many planted duplicates were found (recall) and how many unplanted pairs
were removed (false positives).

    python benchmarks/synth_dedup.py [--n 13500] [--threshold 0.7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from clawgym.synth import dedup

VERBS = "read parse summarize rank filter merge reconcile validate compare extract convert tabulate audit draft".split()
OBJECTS = ("invoices expenses receipts logs tickets orders shifts grades readings listings contacts minutes claims "
           "transactions sessions bookings deliveries alerts budgets inventories").split()
FORMATS = "csv json jsonl md yaml tsv txt xml html".split()
ADJ = ("weekly monthly quarterly overdue duplicate missing flagged pending archived urgent regional seasonal "
       "anonymized verified rejected approved").split()
FILLER = ("please make sure to keep the original order when values tie and round every amount to two decimals "
          "then write a short note explaining any rows you had to skip because a field was empty or malformed "
          "and do not change the input files").split()


def make_text(rng: random.Random, category: int) -> str:
    words = [f"category{category}"]
    for _ in range(rng.randint(5, 9)):
        v, o, a, f = rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(ADJ), rng.choice(FORMATS)
        words += [v, "the", a, o, "from", f"input/{o}_{rng.randint(1, 999)}.{f}", "into",
                  f"out/{a}_{o}.{rng.choice(FORMATS)}"]
        if rng.random() < 0.5:
            start = rng.randint(0, len(FILLER) - 8)
            words += FILLER[start:start + rng.randint(4, 8)]
    return " ".join(words)


def corpus(n: int, seed: int = 0) -> tuple[list[tuple[str, str]], set[str]]:
    rng = random.Random(seed)
    items: list[tuple[str, str]] = []
    planted: set[str] = set()
    for i in range(n):
        key = f"t{i:05d}"
        r = rng.random()
        if i > 100 and r < 0.10:
            words = items[rng.randrange(len(items))][1].split()
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(OBJECTS)
            items.append((key, " ".join(words)))
            planted.add(key)
        elif i > 100 and r < 0.12:
            items.append((key, items[rng.randrange(len(items))][1]))
            planted.add(key)
        else:
            items.append((key, make_text(rng, i % 11)))
    return items, planted


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=13_500)
    ap.add_argument("--threshold", type=float, default=0.7)
    args = ap.parse_args()
    items, planted = corpus(args.n)
    words = sum(len(t.split()) for _, t in items) / len(items)
    start = time.perf_counter()
    verdicts = dedup(items, threshold=args.threshold)
    wall = time.perf_counter() - start
    removed = {k for k, v in verdicts.items() if v is not None}
    recall = len(removed & planted) / max(1, len(planted))
    print(f"{args.n} task texts (mean {words:.0f} words), threshold {args.threshold}: {wall:.2f} s on CPU "
          f"(target <= 30 s: {'PASS' if wall <= 30 else 'FAIL'}), {wall / args.n * 1e3:.2f} ms per task")
    print(f"removed {len(removed)}: {len(removed & planted)}/{len(planted)} planted near-duplicates found "
          f"(recall {recall:.1%}), {len(removed - planted)} unplanted removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
