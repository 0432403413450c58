"""Greedy plan: earliest deadline first, then priority; each task on the earliest day with room."""
import csv
import json
from pathlib import Path

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
RANK = {"high": 0, "medium": 1, "low": 2}
with open("input/todo.csv", newline="", encoding="utf-8") as f:
    tasks = [r for r in csv.DictReader(f) if r["task"].strip()]
cal = json.loads(Path("input/calendar.json").read_text(encoding="utf-8"))
free = {d: cal["workday_hours"] - sum(m["hours"] for m in cal["meetings"].get(d, [])) for d in DAYS}
meetings = {d: sum(m["hours"] for m in cal["meetings"].get(d, [])) for d in DAYS}
plan = {d: [] for d in DAYS}
plan["unscheduled"] = []


def key(t):
    dl = t["deadline"].strip()
    return (DAYS.index(dl) if dl else len(DAYS), RANK[t["priority"]], -float(t["hours"]))


for t in sorted(tasks, key=key):
    hours = float(t["hours"])
    last = DAYS.index(t["deadline"].strip()) if t["deadline"].strip() else len(DAYS) - 1
    day = next((d for d in DAYS[:last + 1] if free[d] >= hours), None)
    if day is None:
        plan["unscheduled"].append(t["task"])
    else:
        plan[day].append(t["task"])
        free[day] -= hours

Path("output").mkdir(exist_ok=True)
Path("output/plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
by_name = {t["task"]: t for t in tasks}
md = [f"# Plan for the week of {cal['week_of']}", ""]
for d in DAYS:
    md += [f"## {d}", "", f"Meetings: {meetings[d]:g} h"]
    md += [f"- {n} ({float(by_name[n]['hours']):g} h, {by_name[n]['priority']})" for n in plan[d]]
    md += [f"Free time left: {free[d]:g} h", ""]
md += ["## Unscheduled", ""]
for n in plan["unscheduled"]:
    t = by_name[n]
    md.append(f"- {n} ({float(t['hours']):g} h, {t['priority']}): no day has {float(t['hours']):g} h free"
              " after the more urgent work; move it to next week.")
if not plan["unscheduled"]:
    md.append("Nothing: everything fits.")
Path("output/plan.md").write_text("\n".join(md) + "\n", encoding="utf-8")
