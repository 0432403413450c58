import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def normalise(url):
    p = urlsplit(url)
    query = "&".join(q for q in p.query.split("&") if q and not q.split("=", 1)[0].startswith("utm_"))
    path = p.path[:-1] if p.path.endswith("/") else p.path
    return urlunsplit((p.scheme.lower(), p.netloc.lower(), path, query, ""))


links = {}
for line in Path("input/bookmarks.txt").read_text(encoding="utf-8").splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    fields = [f.strip() for f in line.split("|")] + [""]
    url = normalise(fields[1])
    tags = {t.strip().lower() for t in fields[2].split(",") if t.strip()}
    title, old_tags = links.get(url, (fields[0], set()))
    links[url] = (title, old_tags | tags)

by_tag = {}
for url, (title, tags) in links.items():
    for tag in tags or {"untagged"}:
        by_tag.setdefault(tag, []).append((title, url))
out = ["# Reading list"]
for tag in sorted(by_tag):
    out += ["", f"## {tag}", ""]
    out += [f"- [{t}]({u})" for t, u in sorted(by_tag[tag], key=lambda x: (x[0].lower(), x[1]))]
Path("output").mkdir(exist_ok=True)
Path("output/reading_list.md").write_text("\n".join(out) + "\n", encoding="utf-8")
counts = {tag: len(v) for tag, v in sorted(by_tag.items())}
Path("output/tags.json").write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
