import json
import re
import sys
from pathlib import Path

ITEM = re.compile(r"^- \[ \] (?P<owner>[A-Z][a-z]+): (?P<task>.+) \(due (?P<due>\d{4}-\d{2}-\d{2})\)$")


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"subject_line": 0.0, "all_action_items": 0.0, "ordered_by_due_date": 0.0}
    try:
        text = (ws / "out/followup_email.md").read_text()
    except Exception:
        return scores
    items = [m.groupdict() for line in (ws / "input/meeting_notes.md").read_text().splitlines()
             if (m := ITEM.match(line.strip()))]
    lines = text.splitlines()
    scores["subject_line"] = 1.0 if lines and lines[0].startswith("Subject:") and "follow-up" in lines[0].lower() else 0.0
    bullets = [l for l in lines if l.lstrip().startswith(("-", "*"))]
    hits = [next((i for i, b in enumerate(bullets) if it["owner"] in b and it["due"] in b), None) for it in items]
    scores["all_action_items"] = sum(h is not None for h in hits) / len(items)
    order = [h for _, h in sorted(zip([it["due"] for it in items], hits)) if h is not None]
    scores["ordered_by_due_date"] = 1.0 if None not in hits and order == sorted(order) else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
