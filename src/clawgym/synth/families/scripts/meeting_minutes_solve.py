"""The reference solver of the family `meeting_minutes`: its solve.py is `_solve_head.py` followed by
this text."""

import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
import datetime as dt
MON = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def due(s):
    m = re.search(r"(\d{4}-\d{2}-\d{2})", s)
    if m:
        return m.group(1)
    m = re.search(r"(\d{1,2}) ([A-Za-z]{3})", s)
    return dt.date(P["year"], MON.index(m.group(2).lower()) + 1, int(m.group(1))).isoformat()


raw = Path(P["notes"]).read_text(encoding="utf-8").splitlines()
present = next(ln for ln in raw if ln.startswith("present:"))[len("present:"):].split(";")[0].strip()
decisions, actions = [], []
for ln in raw:
    body = ln[2:] if ln.startswith("* ") else ""
    m = re.match(r"(?:DECIDED: |Agreed: |-> decision: )(.*)", body)
    if m:
        decisions.append(m.group(1))
    m = (re.match(r"ACTION (\w+): (.*) by (.*)$", body) or re.match(r"AI - (\w+) to (.*), due (.*)$", body)
         or re.match(r"TODO\((\w+)\) (.*) -- by (.*)$", body))
    if m:
        actions.append((m.group(1).title(), m.group(2), due(m.group(3))))
nxt = next(ln for ln in raw if ln.startswith("next sync:"))[len("next sync:"):].strip()
out = [f"# {P['team'].title()} sync minutes", "", f"Attendees: {present}", "", "## Decisions", ""]
out += [f"- {d[0].upper() + d[1:]}." for d in decisions]
out += ["", "## Action items", "", "| Owner | Action | Due |", "|---|---|---|"]
out += [f"| {o} | {a[0].upper() + a[1:]} | {d} |" for o, a, d in actions]
out += ["", f"Next sync: {nxt}", ""]
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["out"]).write_text("\n".join(out), encoding="utf-8")
