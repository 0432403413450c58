"""The reference solver of the family `meeting_slots`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
def mins(s):
    return int(s[:2]) * 60 + int(s[3:])


def hm(m):
    return "%02d:%02d" % divmod(m, 60)


cals = {p: json.loads((Path(P["folder"]) / (p.lower() + ".json")).read_text(encoding="utf-8")) for p in P["attendees"]}
slots = []
for d in P["days"]:
    busy = sorted((mins(x["start"]), mins(x["end"])) for evs in cals.values() for x in evs if x["date"] == d)
    cur = P["lo"]
    free = []
    for s, e in busy:
        if s > cur:
            free.append((cur, min(s, P["hi"])))
        cur = max(cur, e)
    if cur < P["hi"]:
        free.append((cur, P["hi"]))
    slots += [[d, hm(s), hm(e)] for s, e in free if e - s >= P["need"] and s < P["hi"]]
Path(P["csv"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["csv"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["date", "start", "end"])
    w.writerows(slots)
d, s, _ = slots[0]
Path(P["json"]).write_text(json.dumps({"date": d, "start": s, "end": hm(mins(s) + P["need"]),
                                       "attendees": sorted(P["attendees"])}, indent=2) + "\n", encoding="utf-8")
