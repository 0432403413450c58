import csv
import re
from pathlib import Path

notes = Path("input/meeting_notes.md").read_text(encoding="utf-8").splitlines()
title, date = re.match(r"#\s*(.+?)\s+—\s+(\d{4}-\d{2}-\d{2})", notes[0]).groups()
with open("input/contacts.csv", newline="", encoding="utf-8") as f:
    emails = {r["name"]: r["email"] for r in csv.DictReader(f)}
attendees = next(l.split(":", 1)[1] for l in notes if l.lower().startswith("attendees:"))
to = [emails[n.strip()] for n in attendees.split(",") if n.strip() and n.strip() != "Sam Rivera"]
items = []
for line in notes:
    s = line.strip()
    if s.startswith("~~") or not s.lower().startswith("action:"):
        continue
    owner, task, due = (x.strip() for x in s.split(":", 1)[1].split("|"))
    items.append((due, owner, task))
items.sort()
next_sync = next((l.split(":", 1)[1].strip().rstrip(".") for l in notes if l.startswith("Next sync:")), None)
body = [
    f"To: {', '.join(to)}",
    f"Subject: Follow-up: {title} ({date})",
    "",
    "Hi all,",
    "",
    "Thanks for a productive sync today. A quick recap of what we decided:",
    "",
    "- The launch date stays May 14; the payment provider migration is done.",
    "- We keep three pricing tiers, with the annual discount going from 20% to 15%.",
    "- The new landing page is approved, with the hero image swapped.",
    "- Instead of a press release we'll send a customer newsletter.",
    "",
    "Action items:",
    "",
    *[f"- {o}: {t} (due {d})" for d, o, t in items],
    "",
    f"Our next sync is {next_sync}. Let me know if I missed anything." if next_sync else
    "Let me know if I missed anything.",
    "",
    "Best,",
    "Sam Rivera",
]
Path("output").mkdir(exist_ok=True)
Path("output/followup_email.md").write_text("\n".join(body) + "\n", encoding="utf-8")
