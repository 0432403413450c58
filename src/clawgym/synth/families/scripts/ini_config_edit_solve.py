"""The reference solver of the family `ini_config_edit`: its solve.py is `_solve_head.py` followed by
this text."""

from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
path = Path(P["path"])
lines = path.read_text(encoding="utf-8").splitlines()


def span(section):
    """(header index, index after the last key line) of a section, or None."""
    start = None
    for i, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith("[") and s.endswith("]"):
            if start is not None:
                break
            if s[1:-1].strip() == section:
                start = i
    if start is None:
        return None
    end = start + 1
    for j in range(start + 1, len(lines)):
        s = lines[j].strip()
        if s.startswith("["):
            break
        if "=" in s and not s.startswith(("#", ";")):
            end = j + 1
    return start, end


def find(section, key):
    sp = span(section)
    if sp:
        for j in range(sp[0] + 1, sp[1]):
            s = lines[j].strip()
            if "=" in s and not s.startswith(("#", ";")) and s.split("=", 1)[0].strip() == key:
                return j
    return None


for c in P["changes"]:
    j = find(c["section"], c["key"])
    if c["kind"] == "set":
        if j is not None:
            lines[j] = f"{c['key']} = {c['value']}"
        elif span(c["section"]):
            lines.insert(span(c["section"])[1], f"{c['key']} = {c['value']}")
        else:
            lines += ["", f"[{c['section']}]", f"{c['key']} = {c['value']}"]
    elif c["kind"] == "delete":
        del lines[j]
    else:
        lines[j] = f"{c['new']} = {lines[j].split('=', 1)[1].strip()}"
path.write_text("\n".join(lines) + "\n", encoding="utf-8")
