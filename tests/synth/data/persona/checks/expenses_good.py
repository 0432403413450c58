import csv
import json
import sys
from pathlib import Path


def _expected(ws):
    totals = {}
    with open(ws / "input/expenses.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            totals[row["category"]] = totals.get(row["category"], 0.0) + float(row["amount"])
    return sorted(({"category": c, "total": round(t, 2)} for c, t in totals.items()),
                  key=lambda r: (-r["total"], r["category"]))


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"categories_complete": 0.0, "totals_correct": 0.0, "sorted_correctly": 0.0}
    try:
        got = json.loads((ws / "out/category_totals.json").read_text())
        assert isinstance(got, list) and all(isinstance(r, dict) for r in got)
    except Exception:
        return scores
    want = _expected(ws)
    names = [r.get("category") for r in got]
    scores["categories_complete"] = 1.0 if sorted(map(str, names)) == sorted(r["category"] for r in want) else 0.0
    by_name = {r.get("category"): r.get("total") for r in got}
    right = sum(1 for r in want if isinstance(by_name.get(r["category"]), (int, float))
                and abs(by_name[r["category"]] - r["total"]) < 0.006)
    scores["totals_correct"] = right / len(want)
    scores["sorted_correctly"] = 1.0 if names == [r["category"] for r in want] else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
