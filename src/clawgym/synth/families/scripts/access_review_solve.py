"""The reference solver of the family `access_review`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
import datetime as dt
today = dt.date.fromisoformat(P["today"])
found = []
for u in csv.DictReader(open("exports/users.csv", encoding="utf-8")):
    if u["status"] != "active":
        continue
    if u["role"] == "admin" and u["mfa"] == "off":
        found.append((u["username"], "ADMIN_NO_MFA"))
    if (today - dt.date.fromisoformat(u["last_login"])).days > P["days"]:
        found.append((u["username"], "INACTIVE"))
    if u["role"] == "contractor" and u["contract_end"] and u["contract_end"] < P["today"]:
        found.append((u["username"], "CONTRACTOR_EXPIRED"))
for key in csv.DictReader(open("exports/api_keys.csv", encoding="utf-8")):
    if (today - dt.date.fromisoformat(key["created"])).days > P["key_days"]:
        found.append((key["key_id"], "STALE_KEY"))
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["out"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["subject", "finding"])
    w.writerows(sorted(found))
