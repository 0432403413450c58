"""Reasoning families: a weekly shift roster under availability, skill and load constraints (many
correct answers: the checks test the constraints, not one roster); the electrical load of each
circuit in a house from appliance ratings in mixed units (W, kW, A) and the 80 % breaker rule."""

from __future__ import annotations

import csv
import inspect
import io
import random
from typing import Any

from clawgym.synth.families._assets import COMMON_CHECK, noise, pdf, png, request, sha, without
from clawgym.synth.families._base import FIRST_NAMES, Built, Family, bullets, dumps, pick_phrase, script

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def roster_search(shifts, need, staff, max_shifts, unavailable, keyholders, limit=20000):
    """A roster by backtracking: shifts in order, each filled with `need` people who are free that day,
    under their weekly maximum, at least one a keyholder; most remaining capacity tried first.
    Returns {(day, shift): [names]} or None when none is found within `limit` steps."""
    import itertools
    load = {p: 0 for p in staff}
    busy = set()
    out = {}
    steps = [0]

    def fill(i):
        if i == len(shifts):
            return True
        day, shift = shifts[i]
        free = [p for p in staff if day not in unavailable.get(p, []) and (p, day) not in busy and load[p] < max_shifts[p]]
        free.sort(key=lambda p: (load[p] - max_shifts[p], p))
        for combo in itertools.combinations(free, need):
            steps[0] += 1
            if steps[0] > limit:
                return False
            if not any(p in keyholders for p in combo):
                continue
            for p in combo:
                load[p] += 1
                busy.add((p, day))
            out[(day, shift)] = list(combo)
            if fill(i + 1):
                return True
            for p in combo:
                load[p] -= 1
                busy.discard((p, day))
        return False

    return out if fill(0) else None


def _build_roster(rng: random.Random, k: dict[str, Any]) -> Built:
    names = ["early", "late", "night"][: k["shifts"]]
    need = k["need"]
    days = DAYS[: k["days"]]
    shifts = [(d, s) for d in days for s in names]
    for _attempt in range(100):
        staff = sorted(rng.sample(FIRST_NAMES, k["staff"]))
        keyholders = set(rng.sample(staff, max(k["shifts"] + 1, len(staff) // 3)))
        # one valid roster first, then constraints it satisfies, with a little slack
        load = {p: 0 for p in staff}
        ok = True
        for d in days:
            today = set()
            for s in names:
                kh = [p for p in keyholders if p not in today]
                rest = [p for p in staff if p not in today]
                if not kh or len(rest) < need:
                    ok = False
                    break
                first = rng.choice(sorted(kh))
                others = rng.sample([p for p in rest if p != first], need - 1)
                for p in [first, *others]:
                    today.add(p)
                    load[p] += 1
            if not ok:
                break
        if not ok:
            continue
        max_shifts = {p: load[p] + rng.choice([0, 1, 1]) for p in staff}
        unavailable = {p: sorted(rng.sample(days, rng.randint(0, max(0, len(days) - max_shifts[p] - 1))),
                                 key=days.index) for p in staff}
        # an unavailable day must not be one the drawn roster uses: recompute honestly by search
        if roster_search(shifts, need, staff, max_shifts, unavailable, keyholders) is not None:
            break
    else:
        raise RuntimeError("could not draw a feasible roster")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "max_shifts_per_week", "keyholder", "phone"])
    for p in staff:
        w.writerow([p, max_shifts[p], "yes" if p in keyholders else "no", f"+44 7700 9{rng.randint(10000, 99999)}"])
    ws: dict[str, bytes | str] = {
        "roster/staff.csv": buf.getvalue(),
        "roster/availability.json": dumps({p: {"cannot_work": unavailable[p]} for p in staff if unavailable[p]}),
        "roster/rules.md": "# Rota rules\n\n" + bullets(rng, [
            f"Every shift ({', '.join(names)}) needs exactly {need} people.",
            "At least one keyholder on every shift, or nobody can open up.",
            "Nobody works more than their weekly maximum, or more than one shift a day.",
            "Respect the days people said they cannot work."]) + "\n",
        "roster/last-week.csv": "day,shift,name\nMonday,early,(see old rota)\n",
        "roster/store-photo.png": png(rng, 16, 10),
        "roster/contract-template.pdf": pdf(["Part-time contract template", "Hours as agreed in the rota."]),
    }
    ws.update(noise(rng, k["noise"], avoid=("roster/",)))
    out = rng.choice(["roster/next-week.csv", "roster/rota.csv", "rota/week.csv"])
    t, intro = pick_phrase(rng, [
        f"Can you put together next week's rota ({days[0]} to {days[-1]})? Everything's in `roster/`. Save it as `{out}`.",
        f"I need the shift plan for {days[0]}-{days[-1]} in `{out}`, following the rules in `roster/rules.md`.",
        f"Please work out who covers which shift next week ({', '.join(names)} shifts, {days[0]} to {days[-1]}) and "
        f"write it to `{out}`.",
    ])
    asks = ["One row per person per shift with columns `day,shift,name` (day as the weekday name).",
            "Use `roster/staff.csv` and `roster/availability.json` for who can work when."]
    instruction = request(rng, intro, asks)
    exp = {"out": out, "days": days, "shifts": names, "need": need, "staff": staff, "max": max_shifts,
           "unavailable": unavailable, "keyholders": sorted(keyholders),
           "inputs": ["roster/staff.csv", "roster/availability.json"],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    return Built(instruction, ws, exp, {"out": out, "days": days, "shifts": names, "need": need}, t)


ROSTER_CHECK = COMMON_CHECK + "\n" + script("shift_roster_check")

ROSTER_SOLVE = inspect.getsource(roster_search) + "\n\n" + script("shift_roster_solve")


def _mutate_roster(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    lines = files[e["out"]].decode().splitlines()
    out: dict[str, dict[str, bytes]] = {}
    out["shift_understaffed"] = {**files, e["out"]: ("\n".join(lines[:-1]) + "\n").encode()}
    d, s, n = lines[1].split(",")
    other = next(p for p in e["staff"] if p != n)
    out["double_booked"] = {**files, e["out"]: ("\n".join(lines + [f"{d},{s},{other}"]) + "\n").encode()}
    bad = next(((p, day) for p, days in e["unavailable"].items() for day in days), None)
    if bad:
        idx = next(i for i, ln in enumerate(lines[1:], 1) if ln.split(",")[0] == bad[1])
        row = lines[idx].split(",")
        if row[2] != bad[0]:
            row[2] = bad[0]
            swapped = lines[:idx] + [",".join(row)] + lines[idx + 1:]
            out["unavailable_person_rostered"] = {**files, e["out"]: ("\n".join(swapped) + "\n").encode()}
    out["staff_list_deleted"] = without(files, "roster/staff.csv")
    return out


ROSTER = Family(
    name="shift_roster", category="Reasoning and Technical Problem Solving", subcategory="mathematical and logical reasoning",
    title="Build a weekly shift roster under constraints",
    description="Staff with weekly maxima and keyholder flags, unavailable days, shifts needing N people; any roster "
                "meeting every constraint passes.",
    knobs={"days": (5, 6, 7), "shifts": (2, 2, 3), "need": (2, 2, 3), "staff": (7, 9, 13), "noise": (6, 12, 22)},
    build=_build_roster, check_body=ROSTER_CHECK, solver=ROSTER_SOLVE, mutate=_mutate_roster,
    tags=("reasoning", "constraints", "planning"))


# ---------------------------------------------------------------------------------------------
# circuit_load

APPLIANCES = [("Kettle", 2000, 0.3), ("Oven", 3000, 1.0), ("Dishwasher", 1800, 1.5), ("Fridge", 150, 24),
              ("Washing machine", 2200, 1.0), ("Tumble dryer", 2500, 0.8), ("Microwave", 1100, 0.3),
              ("Space heater", 1500, 4.0), ("TV", 120, 4.0), ("Desktop PC", 350, 6.0), ("Games console", 200, 2.0),
              ("Hair dryer", 1800, 0.2), ("Iron", 2400, 0.3), ("Freezer", 200, 24), ("Coffee machine", 1400, 0.5),
              ("Toaster", 900, 0.2), ("Vacuum cleaner", 1200, 0.5), ("Air conditioner", 2600, 5.0),
              ("Heat pump", 3200, 6.0), ("EV charger", 3700, 3.0), ("Lamp", 60, 5.0), ("Router", 15, 24)]
ROOMS = ["Kitchen", "Utility room", "Living room", "Office", "Bedrooms", "Garage", "Bathroom", "Hallway"]


def _build_circuits(rng: random.Random, k: dict[str, Any]) -> Built:
    volt = rng.choice([230, 230, 120])
    circuits = [{"id": f"C{i + 1}", "label": f"{room} sockets", "breaker_amps": rng.choice([10, 16, 20, 32] if volt == 230
                                                                                           else [15, 20, 30]),
                 "voltage": volt} for i, room in enumerate(rng.sample(ROOMS, k["circuits"]))]
    rows, active = [], []
    for app, watts, hours in rng.sample(APPLIANCES, k["appliances"]):
        c = rng.choice(circuits)
        unit = rng.choice(["W", "W", "kW", "A"] if k["mixed_units"] else ["W"])
        if unit == "W":
            rating = f"{watts} W"
        elif unit == "kW":
            rating = f"{watts / 1000:g} kW"
        else:
            watts = round(watts / volt) * volt or volt  # a whole number of amps, as labels say
            rating = f"{watts // volt} A"
        status = "installed"
        if k["removed"] and rng.random() < 0.2:
            status = rng.choice(["removed", "sold"])
        rows.append([app, c["id"], rating, hours, status])
        if status == "installed":
            active.append((c["id"], watts, hours))
    if not active:
        rows[0][4] = "installed"
        active.append((rows[0][1], _watts(rows[0][2], volt), rows[0][3]))
    exp_rows = []
    for c in circuits:
        w = sum(x[1] for x in active if x[0] == c["id"])
        kwh = sum(x[1] * x[2] for x in active if x[0] == c["id"]) / 1000
        amps = w / volt
        pct = 100 * amps / c["breaker_amps"]
        exp_rows.append([c["id"], round(amps, 2), round(pct, 1), pct > 80, round(kwh, 2)])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["appliance", "circuit", "rating", "hours_per_day", "status"])
    w.writerows(rows)
    ws: dict[str, bytes | str] = {
        "house/panel.json": dumps({"supply": f"{volt} V single phase", "circuits": circuits}),
        "house/appliances.csv": buf.getvalue(),
        "house/electrician-notes.md": "# Notes from the electrician\n\nA breaker should not carry more than 80 % of its "
                                      "rating continuously. Ratings given in amps are at the supply voltage.\n",
        "house/panel-photo.png": png(rng, 20, 20),
        "house/certificate.pdf": pdf(["Electrical installation certificate", f"Supply {volt} V"]),
    }
    ws.update(noise(rng, k["noise"], avoid=("house/",)))
    out = rng.choice(["house/load-report.csv", "reports/circuit-load.csv"])
    plan = rng.choice(["an EV charger", "a heat pump", "a hot tub", "an induction hob", "a sauna", "a workshop saw"])
    t, intro = pick_phrase(rng, [
        f"Before we add {plan} I'd like to know how loaded each circuit is. Data's in `house/`.",
        f"Can you work out the electrical load on our {len(circuits)} circuits from `house/appliances.csv` and "
        f"`house/panel.json`? We might add {plan}.",
        f"The breakers keep tripping since we got {plan}. Please check which circuits are overloaded (files in "
        f"`house/`).",
    ])
    asks = [f"Put it in `{out}`, one row per circuit: `circuit,amps,percent_of_breaker,over_80,kwh_per_day`.",
            "That's the current with everything on the circuit running at once, what percentage of the breaker's "
            "rating that is, yes or no for over 80 %, and the kWh it uses a day from the hours of use (two decimals "
            "is fine, one for the percentage).",
            "Skip appliances that aren't installed any more."]
    instruction = request(rng, intro, asks, shuffle=False)
    exp = {"out": out, "rows": exp_rows, "inputs": ["house/panel.json", "house/appliances.csv"],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    return Built(instruction, ws, exp, {"out": out}, t)


def _watts(rating: str, volt: int) -> int:
    v, unit = rating.split()
    return int(float(v) * (1000 if unit == "kW" else volt if unit == "A" else 1))


CIRCUIT_CHECK = COMMON_CHECK + "\n" + script("circuit_load_check")

CIRCUIT_SOLVE = script("circuit_load_solve")


def _mutate_circuits(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    lines = files[e["out"]].decode().splitlines()
    out: dict[str, dict[str, bytes]] = {}
    row = lines[1].split(",")
    row[3] = "no" if row[3] == "yes" else "yes"
    out["flag_flipped"] = {**files, e["out"]: "\n".join([lines[0], ",".join(row)] + lines[2:]).encode()}
    row = lines[1].split(",")
    row[4] = "%.2f" % (float(row[4]) + 1.5)
    out["kwh_wrong"] = {**files, e["out"]: "\n".join([lines[0], ",".join(row)] + lines[2:]).encode()}
    out["circuit_missing"] = {**files, e["out"]: "\n".join(lines[:-1]).encode()}
    out["appliances_deleted"] = without(files, "house/appliances.csv")
    return out


CIRCUITS = Family(
    name="circuit_load", category="Reasoning and Technical Problem Solving",
    subcategory="scientific and engineering analysis",
    title="Electrical load per circuit from appliance ratings",
    description="Panel with breakers and supply voltage, appliances rated in W, kW or A, some removed; amps, percent "
                "of breaker, the 80 % rule and kWh per day per circuit.",
    knobs={"circuits": (3, 5, 7), "appliances": (5, 10, 16), "mixed_units": (False, True, True),
           "removed": (False, True, True), "noise": (6, 12, 22)},
    build=_build_circuits, check_body=CIRCUIT_CHECK, solver=CIRCUIT_SOLVE, mutate=_mutate_circuits,
    tags=("reasoning", "engineering", "units"))

FAMILIES = [ROSTER, CIRCUITS]
