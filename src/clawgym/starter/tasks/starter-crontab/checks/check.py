"""Checks for starter-crontab: the expected cron lines are recomputed from input/jobs.json."""
import json
import re
import sys
from pathlib import Path

DOW = {d: i for i, d in enumerate(["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"])}


def cron_fields(s):
    every = s["every"]
    if every == "minutes":
        return [f"*/{int(s['interval'])}", "*", "*", "*", "*"]
    if every == "hour":
        return [str(int(s["minute"])), "*", "*", "*", "*"]
    h, m = (int(x) for x in s["at"].split(":"))
    if every == "day":
        return [str(m), str(h), "*", "*", "*"]
    if every == "weekday":
        return [str(m), str(h), "*", "*", "1-5"]
    if every == "week":
        return [str(m), str(h), "*", "*", str(DOW[s["day"].strip().lower()])]
    if every == "month":
        return [str(m), str(h), str(int(s["day"])), "*", "*"]
    raise ValueError(every)


def expected(ws):
    jobs = json.loads((ws / "input" / "jobs.json").read_text(encoding="utf-8"))["jobs"]
    enabled = [(j["name"], cron_fields(j["schedule"]), f"{j['command']} >> /var/log/cron/{j['name']}.log 2>&1")
               for j in jobs if j.get("enabled")]
    disabled = [j for j in jobs if not j.get("enabled")]
    if not enabled:
        raise ValueError("no jobs")
    return enabled, disabled


def parse(ws):
    lines = [l.rstrip("\n") for l in (ws / "output" / "crontab.txt").read_text(encoding="utf-8").splitlines()]
    return [l.strip() for l in lines if l.strip()]


def job_lines(lines):
    """(fields, command) for every line that is not a comment or a variable assignment."""
    out = []
    for l in lines:
        if l.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", l):
            continue
        parts = l.split(None, 5)
        out.append((parts[:5], parts[5] if len(parts) > 5 else ""))
    return out


def norm(field):
    return re.sub(r"\b0+(\d)", r"\1", field)


def matches(got, want):
    (fields, cmd), (_, wfields, wcmd) = got, want
    return [norm(f) for f in fields] == wfields and cmd.strip() == wcmd


def c_shell(ws, enabled, disabled):
    return parse(ws)[0] == "SHELL=/bin/bash"


def c_jobs(ws, enabled, disabled):
    got = job_lines(parse(ws))
    return sum(any(matches(g, w) for g in got) for w in enabled) / len(enabled)


def c_exact_order(ws, enabled, disabled):
    got = job_lines(parse(ws))
    return len(got) == len(enabled) and all(matches(g, w) for g, w in zip(got, enabled))


def c_disabled(ws, enabled, disabled):
    text = "\n".join(parse(ws))
    if c_jobs(ws, enabled, disabled) == 0:
        return False
    return all(j["command"] not in text for j in disabled)


def c_name_comments(ws, enabled, disabled):
    lines = parse(ws)
    ok = 0
    for name, fields, cmd in enabled:
        for i in range(1, len(lines)):
            parsed = job_lines([lines[i]])
            if parsed and matches(parsed[0], (name, fields, cmd)):
                ok += lines[i - 1] == f"# {name}"
                break
    return ok / len(enabled)


def c_install(ws, enabled, disabled):
    text = (ws / "output" / "install.sh").read_text(encoding="utf-8")
    code = [l for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    installs = [i for i, l in enumerate(code)
                if re.search(r"(^|[;&|(]\s*|\s)crontab\s", " " + l) and "crontab.txt" in l]
    lists = [i for i, l in enumerate(code) if re.search(r"\bcrontab\s+-l\b", l)]
    removes = any(re.search(r"\bcrontab\s+(-\w*r)", l) for l in code)
    return bool(installs and lists) and installs[0] < lists[-1] and not removes


CHECKS = {"shell_line": c_shell, "job_lines": c_jobs, "job_lines_exact_and_ordered": c_exact_order,
          "disabled_jobs_skipped": c_disabled, "name_comments": c_name_comments, "install_script": c_install}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        enabled, disabled = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, enabled, disabled)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
