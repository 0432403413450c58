"""The tail of every family's check.py: `grade` (the gated total) and the command line. It calls the
`gate` and `CHECKS` the family's checks define."""

import json
import sys
from pathlib import Path

from clawgym.synth.families.scripts._check_head import CORE_CAP, EXP, unchanged_frac


def gate(ws, e):  # each family defines its own
    return True


CHECKS: dict = {}  # and its checks


# --- the script's text starts below; the lines above are for linters only ---
def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    intact = unchanged_frac(ws, EXP)  # before any of the agent's code runs
    try:
        ok = bool(gate(ws, EXP))
    except Exception:
        ok = False
    out = {}
    for name, fn in CHECKS.items():
        value = 0.0
        if ok:
            try:
                value = float(fn(ws, EXP))
            except Exception:
                value = 0.0
        out[name] = max(0.0, min(1.0, value))
    if EXP.get("_unchanged"):
        out["inputs_unchanged"] = intact if ok else 0.0
    core = [out[n] for n in (globals().get("CORE") or CHECKS)]
    core = sum(core) / len(core)
    reward = sum(out.values()) / len(out)
    if core < 1 - 1e-9:  # the work itself is not (all) done: well below a pass, whatever else is right
        reward = min(reward, CORE_CAP * core)
    if out.get("inputs_unchanged", 1.0) < 1 - 1e-9:  # something the user kept was damaged
        reward *= 0.25
    out["reward"] = round(reward, 6)
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
