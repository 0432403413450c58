"""The checks of the family `batch_rename`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import csv_rows, files_under, frac, has

# --- the script's text starts below; the lines above are for linters only ---
def gate(ws, e):
    return any(has(ws, n, h) for o, n, h in e["renames"])


def c_renamed(ws, e):
    """Renamed: the new name holds the photo's bytes and the old name is gone (a copy is no rename)."""
    return frac(has(ws, n, h) and not (ws / o).exists() for o, n, h in e["renames"])


def c_old_gone(ws, e):
    return frac(not (ws / o).exists() for o, n, h in e["renames"])


def c_extras(ws, e):
    return frac(has(ws, p, h) for p, h in e["extras"])


def c_nothing_else(ws, e):
    """The photo folder holds the renamed photos, the unlisted files and the metadata, nothing more."""
    folder = e["renames"][0][0].split("/")[0]
    want = {n for o, n, h in e["renames"]} | {p for p, h in e["extras"]} | {folder + "/metadata.csv"}
    got = files_under(ws, folder)
    return len(want & got) / len(want | got)


def c_log_rows(ws, e):
    rows = csv_rows(ws, e["log"])[1:]
    return frac(r in rows for r in e["rows"])


def c_log_exact(ws, e):
    rows = csv_rows(ws, e["log"])
    return rows[0] == ["old", "new"] and rows[1:] == e["rows"]


CHECKS = {"photos_renamed": c_renamed, "old_names_gone": c_old_gone, "unlisted_files_kept": c_extras,
          "nothing_else_in_folder": c_nothing_else, "log_rows": c_log_rows, "log_exact_and_sorted": c_log_exact}
CORE = ("photos_renamed",)
