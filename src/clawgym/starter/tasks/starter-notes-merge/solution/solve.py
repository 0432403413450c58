import datetime
import re
from pathlib import Path


def parse_name(stem):
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", stem)
    if m:
        y, mo, d = map(int, m.groups())
    else:
        m = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", stem)
        if not m:
            return None
        d, mo, y = map(int, m.groups())
    try:
        return datetime.date(y, mo, d)
    except ValueError:
        return None


notes = {}
for p in sorted(Path("input/notes").iterdir()):
    if p.is_file() and p.suffix == ".md":
        day = parse_name(p.stem)
        body = p.read_text(encoding="utf-8").strip()
        if day and body:
            notes[day] = body
days = sorted(notes)
Path("output").mkdir(exist_ok=True)
parts = ["# Journal"] + [f"## {d.isoformat()}\n\n{notes[d]}" for d in days]
Path("output/journal.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
missing, d = [], days[0]
while d <= days[-1]:
    if d not in notes:
        missing.append(d.isoformat())
    d += datetime.timedelta(days=1)
Path("output/missing_days.txt").write_text("".join(m + "\n" for m in missing), encoding="utf-8")
