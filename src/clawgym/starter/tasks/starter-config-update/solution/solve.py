"""Line-based INI editing, so comments and layout survive (configparser would drop them)."""
import re
from pathlib import Path

lines = Path("input/app.ini").read_text(encoding="utf-8").splitlines()
KEY = re.compile(r"^(\s*)([^=#;\[\s][^=]*?)\s*=\s*(.*)$")
SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def find_section(name):
    start = next((i for i, l in enumerate(lines) if (m := SECTION.match(l)) and m.group(1) == name), None)
    if start is None:
        return None, None
    end = next((i for i in range(start + 1, len(lines)) if SECTION.match(lines[i])), len(lines))
    return start, end


def find_key(sec, key):
    start, end = find_section(sec)
    if start is None:
        return None
    return next((i for i in range(start + 1, end) if (m := KEY.match(lines[i])) and m.group(2).lower() == key.lower()), None)


for raw in Path("input/changes.txt").read_text(encoding="utf-8").splitlines():
    s = raw.strip()
    if not s or s.startswith("#"):
        continue
    verb, rest = s.split(None, 1)
    if verb == "set":
        target, value = (x.strip() for x in rest.split("=", 1))
        sec, key = target.split(".", 1)
        i = find_key(sec, key)
        if i is not None:
            lines[i] = f"{key} = {value}"
            continue
        start, end = find_section(sec)
        if start is None:
            while lines and not lines[-1].strip():
                lines.pop()
            lines += ["", f"[{sec}]", f"{key} = {value}"]
            continue
        last = end
        while last > start + 1 and not lines[last - 1].strip():
            last -= 1
        lines.insert(last, f"{key} = {value}")
    elif verb == "delete":
        sec, key = rest.strip().split(".", 1)
        i = find_key(sec, key)
        if i is not None:
            del lines[i]
            if i > 0 and lines[i - 1].lstrip().startswith(("#", ";")) and key in lines[i - 1]:
                del lines[i - 1]  # the comment that described the removed key
    elif verb == "rename":
        target, new = (x.strip() for x in rest.split("->", 1))
        sec, key = target.split(".", 1)
        i = find_key(sec, key)
        m = KEY.match(lines[i])
        lines[i] = f"{m.group(1)}{new} = {m.group(3)}"

Path("output").mkdir(exist_ok=True)
Path("output/app.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
