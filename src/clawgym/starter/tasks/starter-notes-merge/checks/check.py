"""Checks for starter-notes-merge: the expected journal is recomputed from input/notes/."""
import datetime
import json
import re
import sys
from pathlib import Path

DATE_HEADING = re.compile(r"^## (\d{4}-\d{2}-\d{2})\s*$")


def parse_name(stem):
    for pattern, order in ((r"(\d{4})-(\d{2})-(\d{2})", "ymd"), (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
                           (r"(\d{2})\.(\d{2})\.(\d{4})", "dmy")):
        m = re.fullmatch(pattern, stem)
        if m:
            a, b, c = (int(x) for x in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return datetime.date(y, mo, d)
            except ValueError:
                return None
    return None


def expected_notes(ws):
    notes = {}
    for p in sorted((ws / "input" / "notes").iterdir()):
        if not p.is_file() or not p.name.endswith(".md"):
            continue
        day = parse_name(p.name[:-3])
        if day is None:
            continue
        body = p.read_text(encoding="utf-8").strip()
        if body:
            notes[day] = body
    if not notes:
        raise ValueError("no input notes")
    return dict(sorted(notes.items()))


def journal_sections(text):
    sections, current = [], None
    for line in text.splitlines():
        m = DATE_HEADING.match(line)
        if m:
            current = [m.group(1), []]
            sections.append(current)
        elif current is not None:
            current[1].append(line)
    return [(d, "\n".join(lines).strip()) for d, lines in sections]


def c_title(ws, notes):
    lines = [l for l in (ws / "output" / "journal.md").read_text(encoding="utf-8").splitlines() if l.strip()]
    return bool(lines) and lines[0].strip() == "# Journal"


def c_headings(ws, notes):
    secs = journal_sections((ws / "output" / "journal.md").read_text(encoding="utf-8"))
    return [d for d, _ in secs] == [d.isoformat() for d in notes]


def c_bodies(ws, notes):
    secs = dict(journal_sections((ws / "output" / "journal.md").read_text(encoding="utf-8")))
    return sum(secs.get(d.isoformat()) == body for d, body in notes.items()) / len(notes)


def c_ignored_excluded(ws, notes):
    text = (ws / "output" / "journal.md").read_text(encoding="utf-8")
    if not any(body in text for body in notes.values()):
        return False
    others = []
    for p in (ws / "input" / "notes").iterdir():
        if p.is_file() and not (p.name.endswith(".md") and parse_name(p.name[:-3])):
            others.append(p.read_text(encoding="utf-8").strip())
    return all(o and o not in text for o in others)


def c_missing_days(ws, notes):
    days = list(notes)
    expected, d = [], days[0]
    while d <= days[-1]:
        if d not in notes:
            expected.append(d.isoformat())
        d += datetime.timedelta(days=1)
    got = [l.strip() for l in (ws / "output" / "missing_days.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    if not expected:  # an empty file is right only when the journal itself is right
        return got == [] and c_headings(ws, notes)
    return got == expected


CHECKS = {"journal_title": c_title, "date_headings": c_headings, "note_bodies": c_bodies,
          "ignored_files_excluded": c_ignored_excluded, "missing_days": c_missing_days}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        notes = expected_notes(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, notes)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
