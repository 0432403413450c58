# The head of every family's solve.py: imports and P, the instance's parameters (`{name}` is the
# family's name).
# (what it imports is for the text appended to it)
# ruff: noqa: F401
# --- the script's text starts below; the lines above are for linters only ---
"""Reference solution for a procedurally generated task (family: {name})."""
import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

P = json.loads((Path(__file__).resolve().parent / "params.json").read_text(encoding="utf-8"))
