import csv
import json
import sys
from collections import Counter
from pathlib import Path


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"header": 0.0, "counts_correct": 0.0, "ordering": 0.0}
    try:
        rows = list(csv.reader((ws / "out/error_counts.csv").read_text().splitlines()))
    except Exception:
        return scores
    counts = Counter(line.split()[2] for line in (ws / "input/app.log").read_text().splitlines()
                     if len(line.split()) > 2 and line.split()[1] == "ERROR")
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if not rows or rows[0] != ["code", "count"]:
        return scores
    got = [(r[0], int(r[1])) for r in rows[1:] if len(r) == 2 and r[1].isdigit()]
    scores["counts_correct"] = sum(1 for kv in want if kv in got) / len(want)
    scores["header"] = 1.0 if scores["counts_correct"] > 0 else 0.0  # a header alone is no work
    scores["ordering"] = 1.0 if got == want else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
