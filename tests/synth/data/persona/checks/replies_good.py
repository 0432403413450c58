import csv
import hashlib
import json
import sys
from pathlib import Path

INPUTS = {"input/tickets.csv": "e020e298a5694facfa6db29def8c71ebc3e70d2db8c85d5e2c2b45bda0c381be"}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"replies": 0.0, "only_open_tickets": 0.0}
    try:
        raw = (ws / "input/tickets.csv").read_bytes()
        rows = list(csv.DictReader(raw.decode().splitlines()))
    except Exception:
        return scores
    if hashlib.sha256(raw).hexdigest() != INPUTS["input/tickets.csv"]:
        return scores  # the user's ticket list must stay as it was
    open_ids = [r["id"] for r in rows if r.get("status") == "open"]
    good = 0
    for r in rows:
        if r["id"] in open_ids:
            try:
                text = (ws / "outbox" / f"{r['id']}.txt").read_text()
            except OSError:
                continue
            good += bool(text.strip()) and text.splitlines()[0].strip() == f"Hi {r['customer']}," and r["id"] in text
    scores["replies"] = good / len(open_ids)
    sent = sorted(p.stem for p in (ws / "outbox").glob("*") if p.is_file()) if (ws / "outbox").is_dir() else []
    scores["only_open_tickets"] = 1.0 if good and sent == sorted(open_ids) else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
