"""Checks for starter-meeting-followup: recipients and action items are recomputed from input/."""
import csv
import json
import re
import sys
from pathlib import Path

ME = "Sam Rivera"


def expected(ws):
    notes = (ws / "input" / "meeting_notes.md").read_text(encoding="utf-8").splitlines()
    m = re.match(r"#\s*(.+?)\s+[—-]+\s+(\d{4}-\d{2}-\d{2})\s*$", notes[0])
    title, date = m.group(1).strip(), m.group(2)
    with open(ws / "input" / "contacts.csv", newline="", encoding="utf-8") as f:
        emails = {r["name"].strip(): r["email"].strip() for r in csv.DictReader(f)}
    attendees = []
    for line in notes:
        if line.lower().startswith("attendees:"):
            attendees = [n.strip() for n in line.split(":", 1)[1].split(",") if n.strip()]
    to = [emails[n] for n in attendees if n != ME]
    items, struck = [], []
    for line in notes:
        s = line.strip()
        is_struck = s.startswith("~~") and s.endswith("~~")
        core = s.strip("~").strip()
        if not core.lower().startswith("action:"):
            continue
        owner, task, due = (x.strip() for x in core.split(":", 1)[1].split("|"))
        (struck if is_struck else items).append((due, owner, task))
    if not to or not items:
        raise ValueError("bad input")
    items.sort()
    return title, date, to, [f"- {o}: {t} (due {d})" for d, o, t in items], [t for _, _, t in struck]


def lines(ws):
    return (ws / "output" / "followup_email.md").read_text(encoding="utf-8").splitlines()


def c_to(ws, title, date, to, items, struck):
    first = lines(ws)[0]
    if not first.startswith("To:"):
        return False
    got = [e.strip().lower() for e in first[3:].split(",") if e.strip()]
    return sorted(got) == sorted(e.lower() for e in to)


def c_subject(ws, title, date, to, items, struck):
    return lines(ws)[1].strip() == f"Subject: Follow-up: {title} ({date})"


def c_items(ws, title, date, to, items, struck):
    got = {l.strip() for l in lines(ws)}
    return sum(i in got for i in items) / len(items)


def c_order(ws, title, date, to, items, struck):
    got = [l.strip() for l in lines(ws) if l.strip().startswith("- ")]
    got = [l for l in got if re.search(r"\(due \d{4}-\d{2}-\d{2}\)$", l)]
    return got == items


def c_struck(ws, title, date, to, items, struck):
    text = "\n".join(lines(ws))
    if not any(i in text for i in items):
        return False
    return all(t.lower() not in text.lower() for t in struck)


def c_signoff_no_placeholders(ws, title, date, to, items, struck):
    ls = [l.strip() for l in lines(ws) if l.strip()]
    text = "\n".join(ls)
    if len(re.findall(r"\S+", text)) < 60:
        return False
    if re.search(r"\[[^\]]*\]|\bTBD\b|\bTODO\b|<[^>]+>", text):
        return False
    return ls[-1].strip(" ,.*_") in (ME, ME.split()[0])


CHECKS = {"to_line": c_to, "subject_line": c_subject, "action_items": c_items,
          "action_items_exact_and_sorted": c_order, "struck_items_left_out": c_struck,
          "signoff_and_no_placeholders": c_signoff_no_placeholders}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        args = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, *args)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
