"""The reference solver of the family `circuit_load`: its solve.py is `_solve_head.py` followed by this
text."""

import csv
import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
panel = json.loads(Path("house/panel.json").read_text(encoding="utf-8"))
apps = [r for r in csv.DictReader(open("house/appliances.csv", encoding="utf-8")) if r["status"] == "installed"]
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["out"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["circuit", "amps", "percent_of_breaker", "over_80", "kwh_per_day"])
    for c in panel["circuits"]:
        watts = kwh = 0.0
        for a in apps:
            if a["circuit"] != c["id"]:
                continue
            v, unit = a["rating"].split()
            wt = float(v) * (1000 if unit == "kW" else c["voltage"] if unit == "A" else 1)
            watts += wt
            kwh += wt * float(a["hours_per_day"]) / 1000
        amps = watts / c["voltage"]
        pct = 100 * amps / c["breaker_amps"]
        w.writerow([c["id"], "%.2f" % amps, "%.1f" % pct, "yes" if pct > 80 else "no", "%.2f" % kwh])
