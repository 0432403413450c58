#!/usr/bin/env bash
# Reference solution: run with the workspace as the current directory.
set -euo pipefail
mkdir -p output
python3 - <<'PY'
import json
from pathlib import Path

DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]


def fields(s):
    if s["every"] == "minutes":
        return f"*/{s['interval']} * * * *"
    if s["every"] == "hour":
        return f"{s['minute']} * * * *"
    h, m = (int(x) for x in s["at"].split(":"))
    return {
        "day": f"{m} {h} * * *",
        "weekday": f"{m} {h} * * 1-5",
        "week": f"{m} {h} * * {DAYS.index(str(s.get('day', '')).lower()) if s['every'] == 'week' else ''}",
        "month": f"{m} {h} {s.get('day')} * *",
    }[s["every"]]


jobs = json.loads(Path("input/jobs.json").read_text(encoding="utf-8"))["jobs"]
out = ["SHELL=/bin/bash"]
for j in jobs:
    if j["enabled"]:
        out += [f"# {j['name']}", f"{fields(j['schedule'])} {j['command']} >> /var/log/cron/{j['name']}.log 2>&1"]
Path("output/crontab.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
PY
cat > output/install.sh <<'SH'
#!/usr/bin/env bash
# Install the generated crontab for the current user, then show what is installed.
set -euo pipefail
mkdir -p /var/log/cron 2>/dev/null || echo "note: create /var/log/cron so the jobs can write their logs" >&2
crontab "$(dirname "$0")/crontab.txt"
crontab -l
SH
chmod +x output/install.sh
