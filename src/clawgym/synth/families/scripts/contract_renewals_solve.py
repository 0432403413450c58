"""The reference solver of the family `contract_renewals`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
import datetime as dt
MON = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
       "november", "december"]


def parse(s):
    s = s.strip().rstrip(".")
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})$", s)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.match(r"(\d{1,2}) ([A-Za-z]+) (\d{4})$", s)
    if m:
        return dt.date(int(m.group(3)), MON.index(m.group(2).lower()) + 1, int(m.group(1)))
    m = re.match(r"([A-Za-z]+) (\d{1,2}), (\d{4})$", s)
    return dt.date(int(m.group(3)), MON.index(m.group(1).lower()) + 1, int(m.group(2)))


def add_months(d, n):
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, d.day)


today = dt.date.fromisoformat(P["today"])
due = []
for p in sorted(Path("contracts").iterdir()):
    if not p.is_file() or p.suffix not in (".md", ".txt"):
        continue
    t = p.read_text(encoding="utf-8")
    m = re.search(r"Services agreement: (.+)", t)
    if not m or "renews automatically" not in t:
        continue
    vendor = m.group(1).strip()
    eff = parse(re.search(r"Effective Date: (.+?)\.\n", t).group(1))
    initial = int(re.search(r"initial term of (\d+) months", t).group(1))
    notice = int(re.search(r"at least (\d+) days", t).group(1))
    fee = int(re.search(r"EUR ([\d,]+) per year", t).group(1).replace(",", ""))
    renewal = add_months(eff, initial)
    while renewal <= today:
        renewal = add_months(renewal, 12)
    if renewal <= today + dt.timedelta(days=P["window"]):
        due.append((renewal - dt.timedelta(days=notice), vendor, renewal, fee))
due.sort(key=lambda r: (r[0].isoformat(), r[1]))
Path(P["table"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["table"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["vendor", "renewal_date", "notice_deadline", "annual_fee"])
    for notice_by, vendor, renewal, fee in due:
        w.writerow([vendor, renewal.isoformat(), notice_by.isoformat(), fee])
lines = [f"To: {P['gc']}", f"Re: contracts renewing automatically by {(today + dt.timedelta(days=P['window'])).isoformat()}",
         "", f"As of {today.isoformat()}, {len(due)} agreement(s) will renew unless we give notice:", ""]
lines += [f"- {v}: renews {r.isoformat()}; notice must reach them by {n.isoformat()}"
          + (" (already passed)" if n < today else "") + f"; EUR {fee:,} a year." for n, v, r, fee in due]
lines += ["", f"Total annual fees at stake: EUR {sum(d[3] for d in due):,}.", "",
          "Please let me know which of these we should terminate, starting with the earliest deadline.", ""]
Path(P["memo"]).write_text("\n".join(lines), encoding="utf-8")
