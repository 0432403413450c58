"""Checks for starter-reading-list: the expected list is recomputed from input/bookmarks.txt."""
import hashlib
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def normalise(url):
    parts = urlsplit(url.strip())
    query = "&".join(q for q in parts.query.split("&") if q and not q.split("=", 1)[0].startswith("utm_"))
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def expected(ws):
    links = {}
    for line in (ws / "input" / "bookmarks.txt").read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        fields = [f.strip() for f in s.split("|")]
        title, url = fields[0], normalise(fields[1])
        tags = {t.strip().lower() for t in (fields[2] if len(fields) > 2 else "").split(",") if t.strip()}
        if url in links:
            links[url][1].update(tags)
        else:
            links[url] = [title, set(tags)]
    if not links:
        raise ValueError("no bookmarks")
    by_tag = {}
    for url, (title, tags) in links.items():
        for tag in tags or {"untagged"}:
            by_tag.setdefault(tag, []).append((title, url))
    sections = {tag: [f"- [{t}]({u})" for t, u in sorted(items, key=lambda x: (x[0].lower(), x[1]))]
                for tag, items in sorted(by_tag.items())}
    return sections


def parse(ws):
    text = (ws / "output" / "reading_list.md").read_text(encoding="utf-8")
    title, sections, current = None, {}, None
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if title is None:
            title = s
        if s.startswith("## "):
            current = s[3:].strip()
            sections[current] = []
        elif current is not None and s.startswith("- "):
            sections[current].append(s)
    return title, sections


def c_title(ws, want):
    return parse(ws)[0] == "# Reading list"


def c_headings(ws, want):
    return list(parse(ws)[1]) == list(want)


def c_entries(ws, want):
    got = parse(ws)[1]
    pairs = [(tag, e) for tag, entries in want.items() for e in entries]
    return sum(e in got.get(tag, []) for tag, e in pairs) / len(pairs)


def c_exact(ws, want):
    return parse(ws)[1] == want


def c_clean_urls(ws, want):
    text = (ws / "output" / "reading_list.md").read_text(encoding="utf-8")
    urls = re.findall(r"\]\(([^)\s]+)\)", text)
    return bool(urls) and all("utm_" not in u and "#" not in u and not u.endswith("/") for u in urls)


def c_tags_json(ws, want):
    got = json.loads((ws / "output" / "tags.json").read_text(encoding="utf-8"))
    return got == {tag: len(entries) for tag, entries in want.items()}


CHECKS = {"title": c_title, "tag_sections": c_headings, "entries": c_entries,
          "sections_exact_and_sorted": c_exact, "urls_normalised": c_clean_urls, "tag_counts": c_tags_json}


# -- the inputs the user asked to keep --------------------------------------------------------------
#: SHA-256 of each input as the task ships it. The instruction asks for them to be left as they
#: were, so a right answer that deletes, empties or edits any of them keeps only TAMPER_FACTOR of
#: its score (a reward that ignores them teaches an agent that destroying the user's files is free).
KEPT = {
    "input/bookmarks.txt":
        "ba8270489fdb2983f1324e362c263759015ab5a0385964e80d4aa459ce36830a",
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
        want = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, want)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return gate_inputs(out, intact)


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
