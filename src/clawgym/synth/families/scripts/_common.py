"""Helpers every newer family's check.py has after the head: inputs kept, lenient dates and numbers,
tables."""

import csv
import io
import re

from clawgym.synth.families.scripts._check_head import has, text

# --- the script's text starts below; the lines above are for linters only ---
import datetime as _dt

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]


def intact(ws, e, paths=None):
    """Every file the user expects kept is still there, byte for byte."""
    keep = e["keep"]
    return all(has(ws, p, keep[p]) for p in (keep if paths is None else paths))


def c_nothing_else_touched(ws, e):
    """Over-doing: deleting or changing anything the request did not ask for loses this check."""
    return intact(ws, e)


def dates_in(s):
    """Every date written in `s` as 2024-06-14, 14 June 2024, June 14, 2024 or 14 Jun 2024."""
    out = []
    for y, m, d in re.findall(r"(\d{4})-(\d{2})-(\d{2})", s):
        try:
            out.append(_dt.date(int(y), int(m), int(d)))
        except ValueError:
            pass
    mon = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    for d, m, y in re.findall(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + mon + r",?\s+(\d{4})", s, re.I):
        out.append(_dt.date(int(y), [x[:3] for x in _MONTHS].index(m.lower()) + 1, int(d)))
    for m, d, y in re.findall(r"\b" + mon + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", s, re.I):
        out.append(_dt.date(int(y), [x[:3] for x in _MONTHS].index(m.lower()) + 1, int(d)))
    return out


def has_date(s, iso):
    return _dt.date.fromisoformat(iso) in dates_in(s)


def numbers_in(s):
    """Numbers as written by people: 1,204.50 and 1204.5 are the same number; signs kept."""
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?", s)]


def has_number(s, value, tol=0.005):
    return any(abs(v - value) <= tol for v in numbers_in(s))


def mentions(s, phrase):
    return re.search(r"(?<![A-Za-z0-9])" + re.escape(phrase.lower()) + r"(?![A-Za-z0-9])", s.lower()) is not None


def table_rows(ws, rel):
    """A CSV or TSV as lower-cased header -> value dicts (delimiter sniffed, cells stripped)."""
    raw = text(ws, rel)
    delim = "\t" if raw.count("\t") > raw.count(",") else ","
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(raw), delimiter=delim) if r and any(c.strip() for c in r)]
    head = [h.lower().replace(" ", "_") for h in rows[0]]
    return [dict(zip(head, r)) for r in rows[1:]]
