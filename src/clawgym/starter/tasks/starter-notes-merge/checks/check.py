"""Checks for starter-notes-merge: the expected journal is recomputed from input/notes/."""
import datetime
import hashlib
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


# -- the inputs the user asked to keep --------------------------------------------------------------
#: SHA-256 of each input as the task ships it. The instruction asks for them to be left as they
#: were, so a right answer that deletes, empties or edits any of them keeps only TAMPER_FACTOR of
#: its score (a reward that ignores them teaches an agent that destroying the user's files is free).
KEPT = {
    "input/notes/05.03.2024.md":
        "41c1fc9fe9d048931696e67069096f6bd11130579f6db124e185804f92f9943d",
    "input/notes/2024-03-01.md":
        "79189c943471b9370b9de3831708afb992faf39352fe02f1b27b7330af75ca65",
    "input/notes/2024-03-03.md":
        "6b8f7e732f8cfd9e51d665b81bcd3c66eab3759950163be65986e6b73a897b28",
    "input/notes/2024-03-04.md":
        "db2d1697ce0e58cc70f37d126667cad21fa14513c6fd8b9a688db354e63ffa3e",
    "input/notes/2024-03-06.txt":
        "d187c9db61916ab9cf061bf16162a2b0fb7aea58fc97107de76acd065ad07a65",
    "input/notes/2024-03-08.md":
        "eca71b43d00604c4a317574780414b6cd52bb8ad708e6184ddfa43c6e5287025",
    "input/notes/2024-3-2.md":
        "f80bc90f42bc1be4f1ffcfbd1298f1525bfd0be27d3b227602f84cc2f076842d",
    "input/notes/README.md":
        "6a6589b15c07de364f65e5daf353890bed4846e4f892e1211747d03dab60eccd",
}
TAMPER_FACTOR = 0.25


def inputs_kept(ws):
    """The share of KEPT inputs still byte-for-byte as shipped (read before any agent code runs)."""
    ok = 0
    for rel, digest in KEPT.items():
        try:
            ok += hashlib.sha256((ws / rel).read_bytes()).hexdigest() == digest
        except OSError:
            pass
    return ok / len(KEPT)


def gate_inputs(out, intact):
    """The checks as they are while every input is intact; otherwise each one times TAMPER_FACTOR,
    plus a failed `inputs_kept` check to say why. The score stays the plain mean of the
    checks (no separate `reward`), so ClawGym's reward.sh computes the same gated score."""
    if intact == 1:
        return out
    out = {k: round(float(v) * TAMPER_FACTOR, 6) for k, v in out.items()}
    out["inputs_kept"] = False
    return out


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    intact = inputs_kept(ws)
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
    return gate_inputs(out, intact)


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
