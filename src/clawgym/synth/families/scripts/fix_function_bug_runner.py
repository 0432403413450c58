"""What the checks of `fix_function_bug` run in the confined child: the agent's module on the inputs
(read from stdin), results as JSON on stdout."""

# ruff: noqa: E401

# --- the script's text starts below; the lines above are for linters only ---
import importlib.util, json, sys
sys.dont_write_bytecode = True
calls = json.loads(sys.stdin.read())
spec = importlib.util.spec_from_file_location("module_under_test", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
out = {}
for name, arglist in calls.items():
    res = []
    for args in arglist:
        try:
            res.append(json.loads(json.dumps(getattr(mod, name)(*args))))
        except Exception as exc:
            res.append({"error": type(exc).__name__})
    out[name] = res
sys.stdout.write("\n" + json.dumps(out) + "\n")
