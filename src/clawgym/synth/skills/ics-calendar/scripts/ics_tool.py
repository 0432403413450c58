#!/usr/bin/env python3
"""List, check and extend iCalendar files (a small RFC 5545 subset)."""
import argparse
import json
import os
from datetime import datetime, timedelta


def unfold(text):
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith((" ", "\t")) and out:
            out[-1] += line[1:]
        elif line:
            out.append(line)
    return out


def parse_dt(value, params):
    v = value.rstrip("Z")
    if "VALUE=DATE" in params or len(v) == 8:
        return datetime.strptime(v[:8], "%Y%m%d"), True
    return datetime.strptime(v, "%Y%m%dT%H%M%S"), False


def events(path):
    evs, cur = [], None
    with open(path, encoding="utf-8") as fh:
        lines = unfold(fh.read())
    for line in lines:
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT" and cur is not None:
            if "DTSTART" in cur and "DTEND" not in cur:
                cur["DTEND"] = cur["DTSTART"] + timedelta(days=1 if cur.get("_allday") else 0)
            evs.append(cur)
            cur = None
        elif cur is not None and ":" in line:
            key, value = line.split(":", 1)
            name, _, params = key.partition(";")
            if name in ("DTSTART", "DTEND"):
                cur[name], allday = parse_dt(value, params)
                if allday:
                    cur["_allday"] = True
                    if name == "DTEND":
                        pass
            else:
                cur[name] = value.replace("\\,", ",").replace("\\n", "\n").replace("\\;", ";")
    return evs


def show(e):
    return {"uid": e.get("UID"), "summary": e.get("SUMMARY"), "start": e["DTSTART"].isoformat(),
            "end": e["DTEND"].isoformat(), "location": e.get("LOCATION")}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list"); p.add_argument("file"); p.add_argument("--from", dest="start"); p.add_argument("--to")
    p = sub.add_parser("conflicts"); p.add_argument("file")
    p = sub.add_parser("add"); p.add_argument("file")
    for opt in ("--summary", "--start", "--end"):
        p.add_argument(opt, required=True)
    p.add_argument("--location"); p.add_argument("--uid")
    a = ap.parse_args()
    if a.cmd == "list":
        evs = sorted(events(a.file), key=lambda e: (e["DTSTART"], e.get("UID") or ""))
        if a.start:
            evs = [e for e in evs if e["DTEND"] > datetime.fromisoformat(a.start)]
        if a.to:
            evs = [e for e in evs if e["DTSTART"] < datetime.fromisoformat(a.to) + timedelta(days=1)]
        print(json.dumps([show(e) for e in evs], indent=2))
    elif a.cmd == "conflicts":
        evs = sorted(events(a.file), key=lambda e: e["DTSTART"])
        pairs = sorted(sorted([x.get("UID"), y.get("UID")]) for i, x in enumerate(evs) for y in evs[i + 1:]
                       if x["DTSTART"] < y["DTEND"] and y["DTSTART"] < x["DTEND"])
        print(json.dumps(pairs, indent=2))
    else:
        s, e = datetime.fromisoformat(a.start), datetime.fromisoformat(a.end)
        if e <= s:
            raise SystemExit("--end must be after --start")
        uid = a.uid or f"{s:%Y%m%dT%H%M%S}-{abs(hash(a.summary)) % 10**8}@clawgym"
        ev = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{a.summary.replace(',', chr(92) + ',')}",
              f"DTSTART:{s:%Y%m%dT%H%M%S}", f"DTEND:{e:%Y%m%dT%H%M%S}"] + \
             ([f"LOCATION:{a.location}"] if a.location else []) + ["END:VEVENT"]
        if os.path.exists(a.file):
            with open(a.file, encoding="utf-8") as fh:
                text = fh.read().replace("\r\n", "\n").rstrip("\n")
            if not text.endswith("END:VCALENDAR"):
                raise SystemExit(f"{a.file} does not end with END:VCALENDAR")
            text = text[: -len("END:VCALENDAR")] + "\n".join(ev) + "\nEND:VCALENDAR\n"
        else:
            text = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//clawgym//ics_tool//EN", *ev,
                              "END:VCALENDAR"]) + "\n"
        with open(a.file, "w", encoding="utf-8") as fh:
            fh.write(text.replace("\n\n", "\n"))
        print(uid)


if __name__ == "__main__":
    main()
