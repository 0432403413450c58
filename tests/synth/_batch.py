"""Run many reference solutions and checks in one Debian /usr/bin/python3 process (what the
checks run with), instead of one interpreter per run: the property tests grade thousands of
workspaces. Reads a JSON list of jobs on stdin, prints a JSON list of results.

  {"solve": ".../solve.py", "cwd": WS}   -> {"ok": bool, "error": str}
  {"check": ".../check.py", "ws": WS}    -> {"checks": {...}} or {"error": str}
"""
import importlib.util
import json
import os
import runpy
import sys
import traceback

sys.dont_write_bytecode = True


def main():
    jobs = json.load(sys.stdin)
    out = []
    home = os.getcwd()
    for i, job in enumerate(jobs):
        try:
            if "solve" in job:
                os.chdir(job["cwd"])
                try:
                    runpy.run_path(job["solve"], run_name="__main__")
                finally:
                    os.chdir(home)
                out.append({"ok": True})
            else:
                spec = importlib.util.spec_from_file_location(f"check_{i}", job["check"])
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                out.append({"checks": mod.grade([], job["ws"])})
        except BaseException:  # a solver's sys.exit too
            out.append({"ok": False, "error": traceback.format_exc()[-1500:]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
