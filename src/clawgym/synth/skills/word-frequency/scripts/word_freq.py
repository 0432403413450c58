#!/usr/bin/env python3
"""Word, bigram and sentence statistics of text files."""
import argparse
import json
import math
import re
from collections import Counter

STOP = set("""a about above after again all am an and any are as at be because been before being below between
both but by can did do does doing down during each few for from further had has have having he her here hers him
his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them then there these they this those through
to too under until up very was we were what when where which while who whom why will with you your yours""".split())
WORD = re.compile(r"[a-z0-9']+")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+"); ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--bigrams", action="store_true"); ap.add_argument("--keep-stopwords", action="store_true")
    a = ap.parse_args()
    words, per_file, sentences, bigrams = [], {}, 0, Counter()
    for path in a.files:
        text = open(path, encoding="utf-8").read()
        ws = [w.strip("'") for w in WORD.findall(text.lower()) if w.strip("'")]
        per_file[path] = len(ws)
        words += ws
        sentences += len([s for s in re.split(r"[.!?]+(?:\s|$)", text) if s.strip()])
        kept = [w for w in ws if a.keep_stopwords or w not in STOP]
        bigrams.update(f"{x} {y}" for x, y in zip(kept, kept[1:]))
    counts = Counter(w for w in words if a.keep_stopwords or w not in STOP)
    out = {"words": len(words), "unique": len(set(words)), "sentences": sentences,
           "reading_minutes": math.ceil(len(words) / 200) if words else 0,
           "top": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: a.top], "per_file": per_file}
    if a.bigrams:
        out["top_bigrams"] = sorted(bigrams.items(), key=lambda kv: (-kv[1], kv[0]))[: a.top]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
