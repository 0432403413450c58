import csv
import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"replies": 0.0}
    try:
        rows = list(csv.DictReader((ws / "input/tickets.csv").read_text().splitlines()))
    except Exception:
        return scores
    open_ids = [r["id"] for r in rows if r.get("status") == "open"]
    if not open_ids:
        return scores
    good = 0
    for r in rows:
        if r["id"] in open_ids:
            try:
                text = (ws / "outbox" / f"{r['id']}.txt").read_text()
            except OSError:
                continue
            good += text.splitlines()[0].strip() == f"Hi {r['customer']}," and r["id"] in text
    scores["replies"] = good / len(open_ids)
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
