import csv
import json
import os
import sys


def grade(transcript, workspace_path):
    exp = {}
    with open(os.path.join(workspace_path, "input", "expenses.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            exp[row["category"]] = exp.get(row["category"], 0.0) + float(row["amount"])
    exp = {k: round(v, 2) for k, v in sorted(exp.items())}
    checks = {"totals_correct": 0.0, "report_rows": 0.0, "report_total": 0.0}
    try:
        with open(os.path.join(workspace_path, "out", "totals.json")) as fh:
            checks["totals_correct"] = 1.0 if json.load(fh) == exp else 0.0
    except Exception:
        pass
    try:
        with open(os.path.join(workspace_path, "out", "report.md")) as fh:
            md = fh.read()
    except Exception:
        return checks
    rows = [f"| {k} | {v:.2f} |" for k, v in exp.items()]
    checks["report_rows"] = sum(r in md for r in rows) / len(rows)
    checks["report_total"] = 1.0 if f"| **Total** | {sum(exp.values()):.2f} |" in md else 0.0
    return checks


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
