"""Planning and knowledge organisation: fill sprints from a backlog under capacity, dependencies
and priorities (any plan that keeps the rules passes); file notes into folders by their first tag,
keeping their attachment links working, with an index."""

from __future__ import annotations

import csv
import io
import posixpath
import random
from typing import Any

from clawgym.synth.families._assets import COMMON_CHECK, noise, pdf, png, request, sha, without
from clawgym.synth.families._base import WORDS, Built, Family, pick_phrase, script

PRIORITY = {"must": 0, "should": 1, "could": 2}
VERBS = ["Build", "Add", "Migrate", "Redesign", "Automate", "Document", "Test", "Refactor", "Localise", "Secure"]
THINGS = ["checkout page", "invoice export", "login flow", "search index", "admin dashboard", "email templates",
          "mobile menu", "audit trail", "report scheduler", "user settings", "payment retries", "API rate limits",
          "onboarding tour", "price rules", "data import", "status emails", "file uploads", "team roles"]


def greedy_plan(items, sprints, velocity):
    """Sprint by sprint, keep adding the highest-priority ready item that still fits (ties by id).
    items: id -> (points, priority rank, [deps]). Returns id -> sprint number (1-based)."""
    plan = {}
    for s in range(1, sprints + 1):
        room = velocity
        while True:
            ready = [i for i, (pts, pr, deps) in items.items()
                     if i not in plan and pts <= room and all(d in plan for d in deps)]
            if not ready:
                break
            best = min(ready, key=lambda i: (items[i][1], i))
            plan[best] = s
            room -= items[best][0]
    return plan


def _build_sprints(rng: random.Random, k: dict[str, Any]) -> Built:
    prefix = rng.choice(["PAY", "WEB", "OPS", "APP", "CRM"])
    sprints, velocity = k["sprints"], rng.choice([13, 16, 20, 21])
    for _attempt in range(200):
        nums = [100]
        while len(nums) < k["items"]:
            nums.append(nums[-1] + rng.randint(1, 4))
        ids = [f"{prefix}-{n}" for n in nums]
        items: dict[str, tuple[int, int, list[str]]] = {}
        for n, i in enumerate(ids):
            deps = rng.sample(ids[:n], min(n, rng.choice([0, 0, 1, 1, 2][: 3 + k["deps"]]))) if n else []
            items[i] = (rng.choice([1, 2, 3, 5, 8]), rng.choice([0, 1, 1, 2, 2]), deps)
        for i in reversed(ids):  # what a must item depends on is a must too
            if items[i][1] == 0:
                for d in items[i][2]:
                    items[d] = (items[d][0], 0, items[d][2])
        plan = greedy_plan(items, sprints, velocity)
        musts = [i for i in ids if items[i][1] == 0]
        if musts and all(i in plan for i in musts) and len(plan) < len(ids):
            break
    else:
        raise RuntimeError("could not draw a plannable backlog")
    names = {i: f"{rng.choice(VERBS)} {rng.choice(THINGS)}" for i in ids}
    order = list(ids)
    rng.shuffle(order)
    rank = {v: k_ for k_, v in PRIORITY.items()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "title", "points", "priority", "depends_on"])
    for i in order:
        pts, pr, deps = items[i]
        w.writerow([i, names[i], pts, rank[pr], ";".join(deps)])
    ws: dict[str, bytes | str] = {
        "backlog/backlog.csv": buf.getvalue(),
        "backlog/team.md": f"# Team\n\nVelocity: about {velocity} points per sprint (two weeks). "
                           f"Next quarter has {sprints} sprints.\n",
        "backlog/roadmap-slide.png": png(rng, 30, 16),
        "backlog/roadmap.pdf": pdf(["Roadmap", f"{sprints} sprints planned"]),
        "backlog/retro-notes.md": "# Last retro\n\n- we over-committed twice\n- keep WIP low\n",
    }
    ws.update(noise(rng, k["noise"], avoid=("backlog/", "plan/")))
    out = rng.choice(["plan/sprints.csv", "backlog/sprint-plan.csv"])
    t, intro = pick_phrase(rng, [
        f"Can you plan the next {sprints} sprints from our backlog (`backlog/`)? Write the plan to `{out}`.",
        f"I need a sprint plan for next quarter. Backlog and team velocity are in `backlog/`; put the plan in `{out}`.",
        f"Please slot the backlog items into sprints 1 to {sprints} and save it as `{out}`.",
    ])
    asks = [f"A CSV with columns `id,sprint` (sprint 1 to {sprints}); items that don't make it can be left out.",
            f"No sprint over {velocity} points.", "Nothing goes in before what it depends on (same sprint is fine).",
            "All the must-haves have to be in.",
            "Don't leave room unused: if something else still fits in a sprint, put it in (must, then should, then "
            "could)."]
    instruction = request(rng, intro, asks)
    exp = {"out": out, "sprints": sprints, "velocity": velocity,
           "items": {i: [items[i][0], items[i][1], items[i][2]] for i in ids},
           "inputs": ["backlog/backlog.csv", "backlog/team.md"],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    return Built(instruction, ws, exp, {"out": out, "sprints": sprints, "velocity": velocity}, t)


SPRINT_CHECK = COMMON_CHECK + "\n" + script("sprint_plan_check")

SPRINT_SOLVE = __import__("inspect").getsource(greedy_plan) + "\n\n" + script("sprint_plan_solve")


def _mutate_sprints(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    lines = files[e["out"]].decode().splitlines()
    out: dict[str, dict[str, bytes]] = {}
    musts = [i for i, v in e["items"].items() if v[1] == 0]
    out["must_dropped"] = {**files, e["out"]: "\n".join(ln for ln in lines if ln.split(",")[0] != musts[0]).encode()}
    out["all_in_sprint_1"] = {**files, e["out"]: "\n".join([lines[0]] + [ln.split(",")[0] + ",1" for ln in lines[1:]]).encode()}
    out["last_item_dropped"] = {**files, e["out"]: "\n".join(lines[:-1]).encode()}
    out["backlog_deleted"] = without(files, "backlog/backlog.csv")
    return out


SPRINTS = Family(
    name="sprint_plan", category="Planning and Knowledge Organization", subcategory="task planning and decomposition",
    title="Plan sprints from a backlog under capacity and dependencies",
    description="Backlog with points, priorities and dependencies; every must planned, no sprint over velocity, "
                "nothing before its dependencies, no spare room left; any plan meeting the rules passes.",
    knobs={"items": (8, 14, 22), "sprints": (2, 3, 4), "deps": (0, 1, 2), "noise": (6, 12, 22)},
    build=_build_sprints, check_body=SPRINT_CHECK, solver=SPRINT_SOLVE, mutate=_mutate_sprints,
    tags=("planning", "constraints"))


# ---------------------------------------------------------------------------------------------
# notes_by_tag

TAGS = ["work", "travel", "recipes", "reading", "health", "finance", "garden", "ideas", "family", "learning"]


def _build_notes(rng: random.Random, k: dict[str, Any]) -> Built:
    tags = rng.sample(TAGS, k["tags"])
    ws: dict[str, bytes | str] = {}
    moves, untagged, links = [], [], {}
    stems = rng.sample(WORDS, min(len(WORDS), k["notes"]))
    for n, stem in enumerate(stems):
        name = f"{stem}-{rng.randint(1, 99)}.md"
        own = [] if n and rng.random() < k["untagged"] else rng.sample(tags, rng.randint(1, min(3, len(tags))))
        title = f"{stem.title()} {rng.choice(['notes', 'plan', 'list', 'thoughts', 'log'])}"
        body = [f"Some thoughts about {stem}.", f"- {rng.choice(WORDS)}", f"- {rng.choice(WORDS)}"]
        att = []
        if rng.random() < 0.5:
            kind = rng.choice(["png", "pdf"])
            a = f"notes/attachments/{stem}-{n}.{kind}"
            ws[a] = png(rng, 8, 8) if kind == "png" else pdf([title, "attachment"])
            body.insert(1, f"![{stem}](attachments/{posixpath.basename(a)})" if kind == "png"
                        else f"See the [scan](attachments/{posixpath.basename(a)}).")
            att.append(a)
        fm = ["---", f"title: {title}", f"tags: [{', '.join(own)}]", f"created: 2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
              "---", ""]
        src = f"notes/{name}"
        ws[src] = "\n".join(fm + body) + "\n"
        if own:
            moves.append([src, f"notes/{own[0]}/{name}", own[0], title])
            links[src] = att
        else:
            untagged.append(src)
    if not moves:
        raise AssertionError("the first note always has tags")
    ws["notes/.obsidian/app.json"] = '{"attachmentFolderPath": "attachments"}\n'
    ws.update(noise(rng, k["noise"], avoid=("notes/",)))
    index = "notes/INDEX.md"
    t, intro = pick_phrase(rng, [
        "My `notes/` folder has got out of hand. Could you file each note into a sub-folder named after its first tag?",
        "Please organise my notes (`notes/`): each note goes into `notes/<first tag>/`, using the tags in its header.",
        "I'd like my notes sorted by topic: move every note in `notes/` into a folder named after the first tag it has.",
    ])
    asks = ["Notes without tags stay where they are.",
            "Keep the notes' text as it is, but make sure their image and attachment links still work after the move "
            "(attachments stay in `notes/attachments/`).",
            f"Add an index at `{index}`: a heading per tag, with a link to each of its notes under it."]
    instruction = request(rng, intro, asks)
    mutable = tuple(m[0] for m in moves)
    exp = {"moves": moves, "untagged": untagged, "index": index, "originals": {m[0]: ws[m[0]] for m in moves},
           "attachments": {m[0]: links[m[0]] for m in moves},
           "inputs": sorted(p for p in ws if p.startswith("notes/attachments/")),
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items() if p not in mutable}}
    return Built(instruction, ws, exp, {"moves": [m[:2] for m in moves], "index": index}, t, mutable=mutable)


NOTES_CHECK = COMMON_CHECK + "\n" + script("notes_by_tag_check")

NOTES_SOLVE = script("notes_by_tag_solve")


def _mutate_notes(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    src, dest = e["moves"][0][:2]
    v = dict(files)
    v[src] = v[dest]
    out["copied_not_moved"] = v
    with_links = next((m for m in e["moves"] if e["attachments"][m[0]]), None)
    if with_links:
        out["links_broken"] = {**files, with_links[1]: files[with_links[1]].replace(b"](../attachments/", b"](attachments/")}
    idx = files[e["index"]].decode()
    out["index_missing_note"] = {**files, e["index"]: "\n".join(ln for ln in idx.splitlines()
                                                                 if dest[len("notes/"):] not in ln).encode()}
    if e["inputs"]:
        out["attachment_deleted"] = without(files, e["inputs"][0])
    return out


NOTES = Family(
    name="notes_by_tag", category="Planning and Knowledge Organization", subcategory="memory and knowledge organization",
    title="File notes into folders by tag, keeping attachment links working",
    description="Markdown notes with front-matter tags and image/PDF attachments; move each into its first tag's "
                "folder, fix relative links, leave untagged notes, write an index.",
    knobs={"notes": (6, 12, 20), "tags": (3, 4, 6), "untagged": (0.0, 0.15, 0.25), "noise": (6, 12, 22)},
    build=_build_notes, check_body=NOTES_CHECK, solver=NOTES_SOLVE, mutate=_mutate_notes,
    tags=("organising", "markdown", "files"))

FAMILIES = [SPRINTS, NOTES]
