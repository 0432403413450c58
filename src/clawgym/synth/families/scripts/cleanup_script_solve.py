"""The reference solver of the family `cleanup_script`: its solve.py is `_solve_head.py` followed by
this text."""

import os
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
names = " -o ".join(f"-name '*.{e}'" for e in P["exts"])
dirs = " -o ".join(f"-name '{d}'" for d in P["dirs"])
script = f"""#!/usr/bin/env bash
# Delete build junk below the folder given as the first argument.
set -euo pipefail
root="${{1:?usage: $0 FOLDER}}"
find "$root" -depth -type d \\( {dirs} \\) -exec rm -rf {{}} +
find "$root" -type f \\( {names} \\) -delete
"""
Path(P["script"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["script"]).write_text(script, encoding="utf-8")
os.chmod(P["script"], 0o755)
