# The head of every family's check.py: imports, EXP and the helpers the checks use (`{name}` is the
# family's name).
# (what it imports is for the text appended to it)
# ruff: noqa: F401
# --- the script's text starts below; the lines above are for linters only ---
"""Checks for a procedurally generated ClawGym task (family: {name}).

Written once for the family; this instance's expected values are in expected.json beside this
file. Every check gives partial credit in [0, 1]; all are 0 unless the gate holds (the output
exists and is at least partly right), so an untouched workspace scores 0. `reward` is the gated
total: the mean of the checks, at most CORE_CAP times the CORE checks' mean unless all of them
hold, and a quarter of that when a file the instruction did not ask to change was changed or
deleted.
Run as `python3 check.py WORKSPACE` or call grade(transcript, workspace_path).
"""
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXP = json.loads((Path(__file__).resolve().parent / "expected.json").read_text(encoding="utf-8"))


def read(ws, rel):
    return (ws / rel).read_bytes()


def text(ws, rel):
    return (ws / rel).read_text(encoding="utf-8")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def has(ws, rel, digest):
    p = ws / rel
    return p.is_file() and not p.is_symlink() and sha(p.read_bytes()) == digest


def frac(flags):
    flags = list(flags)
    return sum(1.0 for f in flags if f) / len(flags) if flags else 1.0


def csv_rows(ws, rel):
    raw = text(ws, rel)
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(raw)) if r and any(c.strip() for c in r)]


def load_json(ws, rel):
    return json.loads(text(ws, rel))


def files_under(ws, rel):
    root = ws / rel
    if not root.is_dir():
        return set()
    return {str(p.relative_to(ws)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def money(v):
    return "%.2f" % v


CORE_CAP = 0.4


def unchanged_frac(ws, e):
    """The share of the files the instruction did not ask to change that are still as they were."""
    return frac(has(ws, p, h) for p, h in e.get("_unchanged", []))
