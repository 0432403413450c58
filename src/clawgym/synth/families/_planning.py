"""Scheduling families: common free meeting slots from calendars; invoice due dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from typing import Any

from clawgym.synth.families._base import FIRST_NAMES, Built, Family, bullets, dumps, leave_alone, pick_phrase, script


def _hm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


# ---------------------------------------------------------------------------------------------
# meeting_slots

def _free(busy: list[tuple[int, int]], lo: int, hi: int, need: int) -> list[tuple[int, int]]:
    out, cur = [], lo
    for s, e in sorted(busy):
        if s > cur:
            out.append((cur, min(s, hi)))
        cur = max(cur, e)
    if cur < hi:
        out.append((cur, hi))
    return [(s, e) for s, e in out if e - s >= need and s < hi]


def _build_slots(rng: random.Random, k: dict[str, Any]) -> Built:
    people = rng.sample(FIRST_NAMES, k["people"] + k["distractors"])
    attendees = sorted(people[: k["people"]])  # the rest: calendars of people not invited
    start = dt.date(2024, rng.randint(1, 11), rng.randint(1, 20))
    while start.weekday() != 0:
        start += dt.timedelta(days=1)
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range(k["days"])]
    lo, hi = rng.choice([(8 * 60, 16 * 60), (9 * 60, 17 * 60), (9 * 60 + 30, 17 * 60 + 30)])
    need = rng.choice([30, 45, 60, 90])
    for _attempt in range(50):
        cals: dict[str, list[dict]] = {}
        for p in people:
            ev = []
            for _ in range(k["events"]):
                d = rng.choice(days + ([(start - dt.timedelta(days=3)).isoformat()] if k["edge_cases"] else []))
                s = rng.randrange(lo - (60 if k["edge_cases"] else 0), hi, 15)
                ln = rng.choice([30, 45, 60, 90, 120])
                ev.append({"date": d, "start": _hm(s), "end": _hm(min(s + ln, 23 * 60)),
                           "title": rng.choice(["Standup", "1:1", "Focus time", "Client call", "Lunch", "Review"])})
            ev.sort(key=lambda x: (x["date"], x["start"]))
            cals[p] = ev
        slots = []
        for d in days:
            busy = [(int(x["start"][:2]) * 60 + int(x["start"][3:]), int(x["end"][:2]) * 60 + int(x["end"][3:]))
                    for p in attendees for x in cals[p] if x["date"] == d]
            slots += [[d, _hm(s), _hm(e)] for s, e in _free(busy, lo, hi, need)]
        if slots:
            break
    folder = rng.choice(["calendars", "team/calendars"])
    ws = {f"{folder}/{p.lower()}.json": dumps(cals[p]) for p in people}
    out_csv = rng.choice(["output/free_slots.csv", "planning/free_slots.csv"])
    out_json = out_csv.rsplit("/", 1)[0] + "/invite.json"
    first = slots[0]
    invite = {"date": first[0], "start": first[1],
              "end": _hm(int(first[1][:2]) * 60 + int(first[1][3:]) + need), "attendees": attendees}
    t, intro = pick_phrase(rng, [
        f"I need to find a {need}-minute meeting slot for {', '.join(attendees)}.",
        f"Please schedule a {need}-minute meeting with {', '.join(attendees)} between {days[0]} and {days[-1]}.",
        f"When are {', '.join(attendees)} all free for {need} minutes? Work it out from their calendars.",
    ])
    rules = [
        f"Their calendars are in `{folder}/` (one JSON file per person, events with `date`, `start`, `end`); ignore "
        "the calendars of anyone else.",
        f"Consider only {', '.join(days)}, from {_hm(lo)} to {_hm(hi)}. Events may overlap each other or run past "
        "these hours; an event ending at 10:00 leaves 10:00 free.",
        f"Write `{out_csv}` with the header `date,start,end`: every maximal window in which all of them are free "
        f"and that is at least {need} minutes long, sorted by date and start (times as HH:MM).",
        f"Write `{out_json}`: an object with `date`, `start`, `end` (the first {need} minutes of the earliest "
        "window) and `attendees` (the names, sorted).",
        leave_alone(rng, [f"{folder}/"]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"csv": out_csv, "json": out_json, "slots": slots, "invite": invite}
    return Built(instruction, ws, exp, {"folder": folder, "attendees": attendees, "days": days, "lo": lo, "hi": hi,
                                        "need": need, "csv": out_csv, "json": out_json}, t)


SLOTS_CHECK = script("meeting_slots_check")

SLOTS_SOLVE = script("meeting_slots_solve")


def _mutate_slots(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    lines = files[e["csv"]].decode().splitlines(keepends=True)
    out["window_missing"] = {**files, e["csv"]: "".join(lines[:-1]).encode()}
    out["extra_window"] = {**files, e["csv"]: (files[e["csv"]].decode() + "2099-01-01,09:00,10:00\n").encode()}
    inv = json.loads(files[e["json"]])
    out["invite_end_wrong"] = {**files, e["json"]: dumps(dict(inv, end=inv["start"])).encode()}
    out["attendee_missing"] = {**files, e["json"]: dumps(dict(inv, attendees=inv["attendees"][1:])).encode()}
    return out


SLOTS = Family(
    name="meeting_slots", category="planning and knowledge organisation", subcategory="scheduling",
    title="Find common free meeting slots from calendars",
    description="Intersect attendees' free time within working hours over days (overlaps, distractor calendars).",
    knobs={"people": (2, 3, 4), "distractors": (0, 1, 2), "days": (1, 2, 3), "events": (2, 4, 7),
           "edge_cases": (False, True, True)},
    build=_build_slots, check_body=SLOTS_CHECK, solver=SLOTS_SOLVE, mutate=_mutate_slots, tags=("calendar", "csv"))


# ---------------------------------------------------------------------------------------------
# invoice_due_dates (held out)

def _build_due(rng: random.Random, k: dict[str, Any]) -> Built:
    today = dt.date(rng.choice([2023, 2024]), rng.randint(2, 12), rng.randint(1, 28))
    holidays = sorted({(today + dt.timedelta(days=rng.randint(-40, 10))).isoformat() for _ in range(k["holidays"])})
    rows, result = [], []
    clients = ["Acme Ltd", "Birchwood", "Cobalt GmbH", "Dunmore & Co", "Elm Street Bakery", "Fjord AS"]
    for i in range(k["invoices"]):
        issue = today - dt.timedelta(days=rng.randint(0, 70))
        terms = rng.choice(["Net 15", "Net 30", "Net 45", "Due on receipt"] if k["edge_cases"] else ["Net 15", "Net 30"])
        paid = rng.random() < 0.3
        amount = "%d.%02d" % divmod(rng.randint(5000, 500000), 100)
        inv = f"INV-{today.year}-{100 + i:04d}"
        rows.append([inv, rng.choice(clients), issue.isoformat(), terms, amount, "yes" if paid else "no"])
        due = issue + dt.timedelta(days=0 if terms == "Due on receipt" else int(terms.split()[1]))
        while due.weekday() >= 5 or due.isoformat() in holidays:
            due += dt.timedelta(days=1)
        status = "paid" if paid else "overdue" if due < today else "open"
        result.append([inv, due.isoformat(), status, amount])
    if not any(r[2] == "overdue" for r in result):
        rows[0][2] = (today - dt.timedelta(days=80)).isoformat()
        rows[0][3], rows[0][5] = "Net 15", "no"
        due = today - dt.timedelta(days=65)
        while due.weekday() >= 5 or due.isoformat() in holidays:
            due += dt.timedelta(days=1)
        result[0] = [rows[0][0], due.isoformat(), "overdue", rows[0][4]]
    table = sorted(([r[0], r[1], r[2]] for r in result), key=lambda r: (r[1], r[0]))
    overdue = sum(int(r[3].replace(".", "")) for r in result if r[2] == "overdue")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["invoice", "client", "issued", "terms", "amount", "paid"], *rows])
    ws = {"finance/invoices.csv": buf.getvalue()}
    if holidays:
        ws["finance/holidays.txt"] = "# office closed on these days\n" + "\n".join(holidays) + "\n"
    out_csv = rng.choice(["output/due_dates.csv", "finance/report/due_dates.csv"])
    out_txt = out_csv.rsplit("/", 1)[0] + "/overdue_total.txt"
    t, intro = pick_phrase(rng, [
        f"Today is {today.isoformat()}. Work out when each invoice in `finance/invoices.csv` is due.",
        f"Please check our receivables as of {today.isoformat()} (`finance/invoices.csv`).",
        f"As of {today.isoformat()}, which invoices are overdue? The list is in `finance/invoices.csv`.",
    ])
    rules = [
        "The due date is the issue date plus the terms (`Net 30` = 30 days; `Due on receipt` = the issue date). If "
        "it falls on a Saturday, Sunday" + (" or a day listed in `finance/holidays.txt`" if holidays else "") +
        ", it moves to the next day that is none of these.",
        f"Status: `paid` if paid, else `overdue` if the due date is before {today.isoformat()}, else `open`.",
        f"Write `{out_csv}` with the header `invoice,due_date,status` (dates as YYYY-MM-DD), sorted by due date, "
        "then invoice.",
        f"Write `{out_txt}` with just the total amount of the overdue invoices, 2 decimals, no currency sign.",
        leave_alone(rng, sorted(ws)),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"csv": out_csv, "txt": out_txt, "table": table, "overdue": "%d.%02d" % divmod(overdue, 100)}
    return Built(instruction, ws, exp, {"today": today.isoformat(), "csv": out_csv, "txt": out_txt}, t)


DUE_CHECK = script("invoice_due_dates_check")

DUE_SOLVE = script("invoice_due_dates_solve")


def _mutate_due(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    lines = files[e["csv"]].decode().splitlines(keepends=True)
    out["invoice_missing"] = {**files, e["csv"]: "".join(lines[:-1]).encode()}
    r = lines[1].rstrip("\n").split(",")
    d = dt.date.fromisoformat(r[1]) - dt.timedelta(days=1)
    out["due_date_off_by_one"] = {**files, e["csv"]: "".join([lines[0], f"{r[0]},{d.isoformat()},{r[2]}\n", *lines[2:]]).encode()}
    flip = {"paid": "open", "open": "overdue", "overdue": "open"}[r[2]]
    out["wrong_status"] = {**files, e["csv"]: "".join([lines[0], f"{r[0]},{r[1]},{flip}\n", *lines[2:]]).encode()}
    out["total_wrong"] = {**files, e["txt"]: b"0.00\n"}
    return out


DUE = Family(
    name="invoice_due_dates", category="planning and knowledge organisation", subcategory="scheduling",
    title="Compute invoice due dates and overdue totals",
    description="Due dates from payment terms, rolled past weekends and holidays; statuses and an overdue sum.",
    knobs={"invoices": (4, 10, 25), "holidays": (0, 2, 5), "edge_cases": (False, True, True)},
    build=_build_due, check_body=DUE_CHECK, solver=DUE_SOLVE, mutate=_mutate_due, tags=("dates", "csv"))

FAMILIES = [SLOTS, DUE]
