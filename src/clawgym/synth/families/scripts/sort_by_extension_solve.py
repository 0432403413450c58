"""The reference solver of the family `sort_by_extension`: its solve.py is `_solve_head.py` followed by
this text."""

import shutil
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
src = Path(P["src"])
for f in sorted(src.iterdir()):
    folder = P["mapping"].get(f.suffix.lower().lstrip("."))
    if f.is_file() and folder:
        d = Path(P["dest"]) / folder
        d.mkdir(parents=True, exist_ok=True)
        shutil.move(str(f), str(d / f.name))
