"""The reference solver of the family `fix_function_bug`: its solve.py is `_solve_head.py` followed by
this text."""

from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
path = Path(P["src"])
src = path.read_text(encoding="utf-8")
for bad, good in P["fixes"]:
    assert src.count(bad) == 1, bad
    src = src.replace(bad, good)
path.write_text(src, encoding="utf-8")
