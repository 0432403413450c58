import csv
import shutil
from pathlib import Path

CATEGORIES = {"images": {"jpg", "jpeg", "png", "gif"}, "documents": {"pdf", "docx", "txt", "md"},
              "data": {"csv", "json", "xlsx"}}
src = Path("input/downloads")
out = Path("output/sorted")
out.mkdir(parents=True, exist_ok=True)
kept_by_content, rows = {}, []
for p in sorted((p for p in src.iterdir() if p.is_file()), key=lambda p: p.name):
    if p.name in ("Thumbs.db", "desktop.ini") or p.name.endswith(".part"):
        continue
    ext = p.name.rsplit(".", 1)[1].lower() if "." in p.name else ""
    cat = next((c for c, exts in CATEGORIES.items() if ext in exts), "other")
    data = p.read_bytes()
    if data in kept_by_content:
        rows.append([p.name, cat, "", len(data), kept_by_content[data]])
        continue
    kept_by_content[data] = p.name
    dest = out / cat / p.name.lower().replace(" ", "-")
    dest.parent.mkdir(exist_ok=True)
    shutil.copyfile(p, dest)
    rows.append([p.name, cat, dest.as_posix(), len(data), ""])
with open(out / "index.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["original", "category", "new_path", "bytes", "duplicate_of"])
    w.writerows(rows)
