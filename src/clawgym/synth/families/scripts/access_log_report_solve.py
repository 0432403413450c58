"""The reference solver of the family `access_log_report`: its solve.py is `_solve_head.py` followed by
this text."""

import json
import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
pat = re.compile(r'^(\S+) \S+ \S+ \[[^\]]+\] "(\S+) (\S+) [^"]*" (\d{3}) \S+')
total, ips, statuses, errs = 0, set(), {}, {}
for line in Path(P["log"]).read_text(encoding="utf-8").splitlines():
    m = pat.match(line)
    if not m:
        continue
    total += 1
    ips.add(m.group(1))
    st = m.group(4)
    statuses[st] = statuses.get(st, 0) + 1
    if st.startswith("5"):
        path = m.group(3).split("?")[0]
        errs[path] = errs.get(path, 0) + 1
n5 = sum(v for s, v in statuses.items() if s.startswith("5"))
top = [p for p, _ in sorted(errs.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["out"]).write_text(json.dumps({"total_requests": total, "unique_clients": len(ips),
    "status_counts": dict(sorted(statuses.items())), "server_error_rate": round(100 * n5 / total, 2),
    "top_error_paths": top}, indent=2) + "\n", encoding="utf-8")
