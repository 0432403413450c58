#!/usr/bin/env bash
# Reference solution: patch the two broken functions with sed-like edits, then list the fixes.
set -euo pipefail
mkdir -p output
python3 - <<'PY'
from pathlib import Path

src = Path("input/stats_utils.py").read_text(encoding="utf-8")
fixes = {
    "    n = len(ordered)\n    return ordered[n // 2]\n":
        "    n = len(ordered)\n    if n % 2:\n        return ordered[n // 2]\n"
        "    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2\n",
    "    k = (len(values) - 1) * p / 100\n    f = int(k)\n    c = f + 1\n    return values[f] + (values[c] - values[f]) * (k - f)\n":
        "    ordered = sorted(values)\n    k = (len(ordered) - 1) * p / 100\n    f = int(k)\n"
        "    c = min(f + 1, len(ordered) - 1)\n    return ordered[f] + (ordered[c] - ordered[f]) * (k - f)\n",
}
for old, new in fixes.items():
    assert src.count(old) == 1, old
    src = src.replace(old, new)
Path("output/stats_utils.py").write_text(src, encoding="utf-8")
Path("output/FIXES.md").write_text(
    "- median: for an even number of values, return the mean of the two middle values.\n"
    "- percentile: sort the values first and clamp the upper rank to the last index (p = 100 crashed).\n",
    encoding="utf-8")
PY
