"""The reference solver of the family `release_announcement`: its solve.py is `_solve_head.py` followed
by this text."""

import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
import datetime as dt
log = Path("CHANGELOG.md").read_text(encoding="utf-8")
part = log.split("## [" + P["version"] + "]", 1)[1].split("\n## [", 1)[0]
day = dt.date.fromisoformat(part.split(" - ", 1)[1].split()[0])
sections, cur = {}, None
for ln in part.splitlines():
    if ln.startswith("### "):
        cur = ln[4:].strip()
    elif ln.startswith("- ") and cur:
        sections.setdefault(cur, []).append(ln[2:].strip())
guide = next(ln.split(": ", 1)[1].strip() for ln in Path("docs/links.md").read_text(encoding="utf-8").splitlines()
             if ln.startswith("- Upgrade guide for " + P["version"]))
lines = [f"# {P['product']} {P['version']} is here", "",
         f"{P['product']} {P['version']} is available from {day.day} {day.strftime('%B')} {day.year}. Here is what changed.",
         "", "## New"]
lines += ["- " + re.sub(r"^Added (an? )?", "", s)[:1].upper() + re.sub(r"^Added (an? )?", "", s)[1:] + "."
          for s in sections.get("Added", [])]
lines += ["", "## Fixed"] + ["- " + re.sub(r"^Fixed ", "", s)[:1].upper() + re.sub(r"^Fixed ", "", s)[1:] + "."
                              for s in sections.get("Fixed", [])]
lines += ["", f"To upgrade, follow the upgrade guide: {guide}", ""]
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["out"]).write_text("\n".join(lines), encoding="utf-8")
