"""The reference solver of the family `json_config_merge`: its solve.py is `_solve_head.py` followed by
this text."""

import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
def merge(base, over):
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


base = json.loads(Path(P["base"]).read_text(encoding="utf-8"))
over = json.loads(Path(P["over"]).read_text(encoding="utf-8"))
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["out"]).write_text(json.dumps(merge(base, over), indent=2) + "\n", encoding="utf-8")
