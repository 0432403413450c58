"""Checks for starter-week-plan: the plan is validated against input/todo.csv and input/calendar.json."""
import csv
import json
import re
import sys
from pathlib import Path

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
EPS = 1e-9


def load_inputs(ws):
    with open(ws / "input" / "todo.csv", newline="", encoding="utf-8") as f:
        tasks = {r["task"].strip(): {"hours": float(r["hours"]), "priority": r["priority"].strip().lower(),
                                      "deadline": (r.get("deadline") or "").strip().title() or None}
                 for r in csv.DictReader(f) if r.get("task", "").strip()}
    cal = json.loads((ws / "input" / "calendar.json").read_text(encoding="utf-8"))
    cap = {d: float(cal["workday_hours"]) - sum(float(m["hours"]) for m in cal["meetings"].get(d, [])) for d in DAYS}
    if not tasks:
        raise ValueError("no tasks")
    return tasks, cap


def load_plan(ws, tasks):
    plan = json.loads((ws / "output" / "plan.json").read_text(encoding="utf-8"))
    if not isinstance(plan, dict) or set(plan) != set(DAYS) | {"unscheduled"}:
        raise ValueError("wrong keys")
    if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in plan.values()):
        raise ValueError("not lists of names")
    return plan


def assigned(plan, tasks):
    names = [n for k in [*DAYS, "unscheduled"] for n in plan[k]]
    if sorted(names) != sorted(tasks):
        raise ValueError("tasks missing or repeated")
    return {n: d for d in DAYS for n in plan[d]}


def free(plan, tasks, cap):
    return {d: cap[d] - sum(tasks[n]["hours"] for n in plan[d]) for d in DAYS}


def c_structure(ws, tasks, cap):
    load_plan(ws, tasks)
    return True


def c_all_once(ws, tasks, cap):
    assigned(load_plan(ws, tasks), tasks)
    return True


def c_capacity(ws, tasks, cap):
    plan = load_plan(ws, tasks)
    assigned(plan, tasks)
    return all(v >= -EPS for v in free(plan, tasks, cap).values())


def c_deadlines(ws, tasks, cap):
    plan = load_plan(ws, tasks)
    where = assigned(plan, tasks)
    for n, t in tasks.items():
        if t["deadline"]:
            if n not in where or DAYS.index(where[n]) > DAYS.index(t["deadline"]):
                return False
    return True


def c_high(ws, tasks, cap):
    plan = load_plan(ws, tasks)
    where = assigned(plan, tasks)
    return all(n in where for n, t in tasks.items() if t["priority"] == "high")


def c_unscheduled_justified(ws, tasks, cap):
    plan = load_plan(ws, tasks)
    assigned(plan, tasks)
    room = free(plan, tasks, cap)
    if any(v < -EPS for v in room.values()):
        return False
    for n in plan["unscheduled"]:
        last = DAYS.index(tasks[n]["deadline"]) if tasks[n]["deadline"] else len(DAYS) - 1
        if any(tasks[n]["hours"] <= room[d] + EPS for d in DAYS[:last + 1]):
            return False
    return True


def md_sections(ws):
    text = (ws / "output" / "plan.md").read_text(encoding="utf-8")
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^##\s+(.+?)\s*$", line)
        if m:
            current = m.group(1).strip().title()
            sections[current] = []
        elif current is not None and line.strip():
            sections[current].append(line)
    return sections


def numbers(line):
    return [float(x) for x in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", line)]


def c_plan_md(ws, tasks, cap):
    plan = load_plan(ws, tasks)
    sections = md_sections(ws)
    keys = [*DAYS, "Unscheduled"]
    if any(k not in sections for k in keys):
        return False
    plan_keys = {**{d: d for d in DAYS}, "Unscheduled": "unscheduled"}
    return all(any(n in l for l in sections[k]) for k in keys for n in plan[plan_keys[k]])


def c_plan_md_hours(ws, tasks, cap):
    """Each scheduled task's line shows its hours, and each day shows the free time left."""
    plan = load_plan(ws, tasks)
    assigned(plan, tasks)
    sections = md_sections(ws)
    room = free(plan, tasks, cap)
    for d in DAYS:
        lines = sections[d]
        for n in plan[d]:
            line = next(l for l in lines if n in l)
            if not any(abs(x - tasks[n]["hours"]) < 1e-6 for x in numbers(line.replace(n, ""))):
                return False
        free_lines = [l for l in lines if re.search(r"\b(free|left|remaining|spare)\b", l, re.I)
                      and not any(n in l for n in plan[d])]
        if not any(abs(x - room[d]) < 1e-6 for l in free_lines for x in numbers(l)):
            return False
    return True


CHECKS = {"plan_structure": c_structure, "every_task_once": c_all_once, "capacity_respected": c_capacity,
          "deadlines_met": c_deadlines, "high_priority_scheduled": c_high,
          "unscheduled_really_do_not_fit": c_unscheduled_justified, "plan_md_matches": c_plan_md,
          "plan_md_hours_and_free_time": c_plan_md_hours}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        tasks, cap = load_inputs(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, tasks, cap)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
