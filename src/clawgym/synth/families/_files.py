"""File handling families: sort by type, remove duplicates, rename photos from metadata."""

from __future__ import annotations

import csv
import hashlib
import io
import random
from typing import Any

from clawgym.synth.families._base import Built, Family, bullets, pick_phrase, script, unique_words


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(rows)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# sort_by_extension

GROUPS = {
    "images": (["jpg", "png", "gif", "jpeg"], ["Images", "Pictures", "photos"]),
    "documents": (["pdf", "docx", "txt", "md"], ["Documents", "docs", "Papers"]),
    "spreadsheets": (["csv", "xlsx", "ods"], ["Spreadsheets", "sheets", "Tables"]),
    "audio": (["mp3", "wav", "flac"], ["Audio", "music", "Sounds"]),
    "archives": (["zip", "gz", "7z"], ["Archives", "compressed", "Zips"]),
    "video": (["mp4", "mkv", "mov"], ["Video", "movies", "Clips"]),
}
ODD_EXTS = ["ics", "torrent", "bak", "epub", "vcf", "psd"]


def _build_sort(rng: random.Random, k: dict[str, Any]) -> Built:
    src = rng.choice(["inbox", "Downloads", "incoming"])
    dest = rng.choice(["sorted", "organised", "by_type"])
    groups = rng.sample(sorted(GROUPS), k["n_types"])
    mapping: dict[str, str] = {}
    folders = {}
    for g in groups:
        exts, names = GROUPS[g]
        folders[g] = rng.choice(names)
        for e in exts:
            mapping[e] = folders[g]
    names = unique_words(rng, k["n_files"] + k["unlisted"])
    ws: dict[str, bytes] = {}
    moves, stay = [], []
    for i, stem in enumerate(names):
        listed = i < k["n_files"]
        ext = rng.choice(GROUPS[rng.choice(groups)][0]) if listed else rng.choice(ODD_EXTS)
        shown = ext.upper() if k["upper_ext"] and rng.random() < 0.3 else ext
        name = f"{stem}-{rng.randint(1, 99)}.{shown}"
        data = f"{name}\n{rng.getrandbits(64):016x}\n".encode()
        path = f"{src}/{name}"
        ws[path] = data
        if listed:
            moves.append([path, f"{dest}/{mapping[ext]}/{name}", _sha(data)])
        else:
            stay.append([path, _sha(data)])
    lines = [f"`{', '.join('.' + e for e in GROUPS[g][0])}` -> `{dest}/{folders[g]}/`" for g in groups]
    t, intro = pick_phrase(rng, [
        f"My `{src}/` folder is a mess. Please sort the files in it into folders under `{dest}/` by file type:",
        f"Could you tidy up `{src}/`? Move each file into a sub-folder of `{dest}/` according to its extension:",
        f"I want the files in `{src}/` organised by type. The folders go under `{dest}/`, like this:",
    ])
    rules = [
        "Match extensions without regard to case (`.JPG` is a `.jpg`), but keep every file name exactly as it is.",
        "Move the files (no copies left behind in the original folder).",
        f"Files whose extension is not in the list stay in `{src}/`, untouched.",
        f"Put nothing else under `{dest}/`.",
    ]
    instruction = f"{intro}\n\n{bullets(rng, lines)}\n\nRules:\n{bullets(rng, rules)}\n"
    exp = {"dest": dest, "moves": moves, "stay": stay}
    return Built(instruction, ws, exp, {"src": src, "dest": dest, "mapping": mapping}, t,
                 mutable=tuple(s for s, _, _ in moves))


SORT_CHECK = script("sort_by_extension_check")

SORT_SOLVE = script("sort_by_extension_solve")


def _mutate_sort(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    s, d, _ = e["moves"][0]
    v = dict(files)
    v[s] = files[d]
    out["copied_not_moved"] = v
    v = dict(files)
    parts = d.split("/")
    v[f"{parts[0]}/misc/{parts[-1]}"] = v.pop(d)
    out["wrong_folder"] = v
    v = dict(files)
    v[d.rsplit(".", 1)[0] + "-copy." + d.rsplit(".", 1)[1]] = v.pop(d)
    out["renamed"] = v
    v = dict(files)
    v.pop(d)
    out["missing_file"] = v
    if e["stay"]:
        v = dict(files)
        p = e["stay"][0][0]
        v[f"{e['dest']}/other/{p.split('/')[-1]}"] = v.pop(p)
        out["moved_unlisted"] = v
    return out


SORT = Family(
    name="sort_by_extension", category="file handling", subcategory="file organisation",
    title="Sort a folder's files into sub-folders by type",
    description="Move files into per-type folders from an extension table; unlisted types stay.",
    knobs={"n_files": (6, 12, 24), "n_types": (2, 3, 5), "unlisted": (0, 2, 4), "upper_ext": (False, True, True)},
    build=_build_sort, check_body=SORT_CHECK, solver=SORT_SOLVE, mutate=_mutate_sort, tags=("files", "move"))


# ---------------------------------------------------------------------------------------------
# dedupe_files

def _build_dedupe(rng: random.Random, k: dict[str, Any]) -> Built:
    folder = rng.choice(["photos", "documents", "shared"])
    exts = {"photos": ["jpg", "png"], "documents": ["pdf", "txt", "docx"], "shared": ["pdf", "jpg", "csv"]}[folder]
    stems = unique_words(rng, k["n_unique"] + k["near_dups"])
    ws: dict[str, bytes] = {}
    originals = []
    for stem in stems[: k["n_unique"]]:
        name = f"{stem}_{rng.randint(100, 999)}.{rng.choice(exts)}"
        data = f"{name}\n{rng.getrandbits(96):024x}\n".encode()
        ws[f"{folder}/{name}"] = data
        originals.append((name, data))
    dup_sources = rng.sample(originals, min(k["n_dup_groups"], len(originals)))
    for name, data in dup_sources:
        stem, ext = name.rsplit(".", 1)
        forms = [f"{stem} (1).{ext}", f"{stem}-copy.{ext}", f"Copy of {stem}.{ext}", f"{stem} (2).{ext}"]
        if k["subfolders"]:
            forms += [f"old/{name}", f"backup/{stem}.{ext}"]
        for form in rng.sample(forms, rng.randint(1, k["max_copies"])):
            ws[f"{folder}/{form}"] = data
    for stem, (name, _) in zip(stems[k["n_unique"]:], rng.sample(originals, min(k["near_dups"], len(originals)))):
        near = f"{name.rsplit('.', 1)[0]} (1).{name.rsplit('.', 1)[1]}"
        if f"{folder}/{near}" in ws:
            near = f"{name.rsplit('.', 1)[0]}-v2.{name.rsplit('.', 1)[1]}"
        ws[f"{folder}/{near}"] = f"{near}\n{rng.getrandbits(96):024x}\n".encode()  # same name pattern, new bytes
    groups: dict[bytes, list[str]] = {}
    for p, d in ws.items():
        groups.setdefault(d, []).append(p)
    removed, keep = [], []
    for d, paths in groups.items():
        paths.sort(key=lambda p: (len(p), p))
        keep.append([paths[0], _sha(d)])
        removed += [[p, paths[0]] for p in paths[1:]]
    removed.sort()
    report = rng.choice(["output/duplicates.csv", "output/removed_duplicates.csv", "report/duplicates.csv"])
    t, intro = pick_phrase(rng, [
        f"There are duplicate files in `{folder}/` (same bytes, different names). Please clean them up.",
        f"I think `{folder}/` has several copies of the same files. Remove the duplicates for me.",
        f"De-duplicate `{folder}/`, including its sub-folders: files with identical contents are duplicates "
        "whatever their names.",
    ])
    rules = [
        "Two files are duplicates only if their contents are byte-for-byte identical; similar names do not count.",
        "In each group of identical files keep exactly one: the one with the shortest path; if two paths are "
        "equally long, the one that comes first in plain alphabetical (code point) order. Delete the others.",
        f"Write `{report}` with the header `removed,kept` and one row per deleted file: its path and the path of the "
        f"copy you kept, both relative to the workspace (e.g. `{folder}/...`). Sort the rows by the removed path.",
        "Do not touch files that have no duplicate.",
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"removed": removed, "keep": keep, "report": report}
    return Built(instruction, ws, exp, {"folder": folder, "report": report}, t, mutable=tuple(r for r, _ in removed))


DEDUPE_CHECK = script("dedupe_files_check")

DEDUPE_SOLVE = script("dedupe_files_solve")


def _mutate_dedupe(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    r, kept = e["removed"][0]
    v = dict(files)
    v[r] = files[kept]
    out["duplicate_left"] = v
    v = dict(files)
    v[r] = v.pop(kept)
    out["kept_wrong_copy"] = v
    v = dict(files)
    lines = files[e["report"]].decode().splitlines(keepends=True)
    v[e["report"]] = "".join(lines[:-1]).encode()
    out["row_missing"] = v
    v = dict(files)
    v[e["report"]] = "".join([lines[0]] + [",".join(reversed(ln.strip().split(","))) + "\n" for ln in lines[1:]]).encode()
    out["columns_swapped"] = v
    return out


DEDUPE = Family(
    name="dedupe_files", category="file handling", subcategory="deduplication",
    title="Remove duplicate files and report what was removed",
    description="Find byte-identical files under a folder, keep one by a stated rule, delete the rest, log them.",
    knobs={"n_unique": (5, 10, 18), "n_dup_groups": (1, 3, 6), "max_copies": (1, 2, 3), "near_dups": (1, 2, 3),
           "subfolders": (False, False, True)},
    build=_build_dedupe, check_body=DEDUPE_CHECK, solver=DEDUPE_SOLVE, mutate=_mutate_dedupe,
    tags=("files", "hashing", "csv"))


# ---------------------------------------------------------------------------------------------
# batch_rename (held out)

PLACES = ["Lisbon", "Old Town", "Lake Bled", "Kyoto", "Grand Canyon", "Cape Town", "Reykjavik", "Hallstatt",
          "Porto", "Table Mountain"]


def _build_rename(rng: random.Random, k: dict[str, Any]) -> Built:
    places = rng.sample(PLACES, k["places"])
    days = sorted(rng.sample(range(1, 28), max(1, k["n_photos"] // (3 if k["same_day"] else 1) // 2 or 1)))
    month, year = rng.randint(1, 12), rng.choice([2022, 2023, 2024])
    nums = rng.sample(range(1000, 9999), k["n_photos"] + k["extras"])
    shots, stamps = [], set()
    for i in range(k["n_photos"]):
        stamp = (year, month, rng.choice(days), rng.randint(6, 21), rng.randint(0, 59), rng.randint(0, 59))
        while stamp in stamps:  # equal times would make the numbering ambiguous
            stamp = stamp[:5] + ((stamp[5] + 1) % 60,)
        stamps.add(stamp)
        prefix, ext = rng.choice([("IMG_", "JPG"), ("DSC", "jpg"), ("IMG_", "jpg")])
        shots.append((f"{prefix}{nums[i]}.{ext}", stamp, rng.choice(places)))
    ws: dict[str, bytes] = {}
    folder = rng.choice(["camera", "trip_photos", "phone_dump"])
    for name, _, _ in shots:
        ws[f"{folder}/{name}"] = f"JPEG {name} {rng.getrandbits(64):016x}\n".encode()
    extras = []
    for j in range(k["extras"]):
        name = rng.choice([f"IMG_{nums[-1 - j]}.JPG", f"screenshot_{nums[-1 - j]}.png", f"VID_{nums[-1 - j]}.mp4"])
        ws[f"{folder}/{name}"] = f"other {name} {rng.getrandbits(32):08x}\n".encode()
        extras.append([f"{folder}/{name}", _sha(ws[f"{folder}/{name}"])])
    rows = [[n, "%04d:%02d:%02d %02d:%02d:%02d" % st, p] for n, st, p in shots]
    if k["shuffled"]:
        rng.shuffle(rows)
    else:
        rows.sort(key=lambda r: r[1])
    meta = f"{folder}/metadata.csv"
    ws[meta] = _csv([["file", "taken", "place"], *rows]).encode()
    counters: dict[tuple, int] = {}
    renames = []
    for n, st, p in sorted(shots, key=lambda s: s[1]):
        date = "%04d-%02d-%02d" % st[:3]
        slug = p.lower().replace(" ", "-")
        counters[(date, slug)] = counters.get((date, slug), 0) + 1
        new = f"{folder}/{date}_{slug}_{counters[(date, slug)]:02d}.jpg"
        renames.append([f"{folder}/{n}", new, _sha(ws[f"{folder}/{n}"])])
    log = rng.choice(["output/renames.csv", "output/rename_log.csv"])
    t, intro = pick_phrase(rng, [
        f"Please rename my holiday photos in `{folder}/` using `{meta}` (when and where each was taken).",
        f"The camera gave my photos useless names. `{meta}` lists each file's capture time and place; rename the "
        f"files in `{folder}/` from it.",
        f"Rename the pictures listed in `{meta}` so their names say when and where they were taken.",
    ])
    rules = [
        "New name: `<YYYY-MM-DD>_<place>_<NN>.jpg`, where the place is lower-case with spaces replaced by `-`, and "
        "`NN` numbers the photos of the same date and place in order of capture time, from `01`.",
        "The extension is always lower-case `.jpg`; keep the files in the same folder.",
        f"Files not listed in the metadata keep their names, and `{meta}` itself stays as it is.",
        f"Write `{log}` with the header `old,new` and one row per renamed file (paths relative to the workspace, "
        "e.g. `" + folder + "/...`), sorted by the old path.",
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"renames": renames, "extras": extras, "log": log,
           "rows": sorted([r[0], r[1]] for r in renames)}
    return Built(instruction, ws, exp, {"folder": folder, "meta": meta, "log": log}, t,
                 mutable=tuple(o for o, _, _ in renames))


RENAME_CHECK = script("batch_rename_check")

RENAME_SOLVE = script("batch_rename_solve")


def _mutate_rename(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    o, n, _ = e["renames"][0]
    v = dict(files)
    v[o] = v.pop(n)
    out["one_not_renamed"] = v
    v = dict(files)
    v[n.replace(".jpg", ".JPG")] = v.pop(n)
    out["upper_extension"] = v
    if len(e["renames"]) > 1:
        v = dict(files)
        a, b = e["renames"][0][1], e["renames"][1][1]
        v[a], v[b] = files[b], files[a]
        out["numbering_swapped"] = v
    v = dict(files)
    lines = files[e["log"]].decode().splitlines(keepends=True)
    v[e["log"]] = "".join(lines[:-1]).encode()
    out["log_row_missing"] = v
    return out


RENAME = Family(
    name="batch_rename", category="file handling", subcategory="batch renaming",
    title="Rename photos from their capture metadata",
    description="Rename files to date_place_NN from a metadata CSV, numbering by capture time; log the renames.",
    knobs={"n_photos": (4, 9, 18), "places": (1, 2, 4), "extras": (0, 1, 3), "same_day": (False, True, True),
           "shuffled": (False, True, True)},
    build=_build_rename, check_body=RENAME_CHECK, solver=RENAME_SOLVE, mutate=_mutate_rename,
    tags=("files", "rename", "csv"))

FAMILIES = [SORT, DEDUPE, RENAME]
