"""The reference solver of the family `rename_function`: its solve.py is `_solve_head.py` followed by
this text."""

import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
pattern = re.compile(r"(?<!\w)" + re.escape(P["old"]) + r"(?!\w)")
for p in P["files"]:
    t = Path(p).read_text(encoding="utf-8")
    Path(p).write_text(pattern.sub(P["new"], t), encoding="utf-8")
