"""Writing and summarising families: meeting minutes from raw notes; a release announcement from a
changelog. The output is prose, so each ships an LLM rubric for what code cannot judge (faithful,
readable, right tone) and code checks for what it can (every action item with its owner and due
date, every customer-facing change, nothing internal or stale, the inputs kept)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from clawgym.synth.families._assets import (
    COMMON_CHECK, long_date, noise, png, request, rubric, sha, without, zip_bytes,
)
from clawgym.synth.families._base import FIRST_NAMES, LAST_NAMES, WORDS, Built, Family, pick_phrase, script

TEAMS = ["platform", "marketing", "finance", "design", "support", "data"]
ACTIONS = [("renew the SSL certificate for the shop", "SSL certificate"),
           ("send the vendor shortlist to procurement", "vendor shortlist"),
           ("book the venue for the offsite", "offsite"), ("draft the Q3 hiring plan", "hiring plan"),
           ("update the onboarding checklist", "onboarding checklist"),
           ("ask legal about the data retention clause", "retention clause"),
           ("migrate the wiki pages to the new space", "wiki pages"),
           ("prepare the churn dashboard", "churn dashboard"), ("fix the broken invoice template", "invoice template"),
           ("collect quotes for the new laptops", "new laptops"), ("write the incident postmortem", "postmortem"),
           ("schedule the customer interviews", "customer interviews"),
           ("review the pricing page copy", "pricing page"), ("clean up the shared drive", "shared drive"),
           ("set up the status page", "status page"), ("order the conference badges", "conference badges")]
DECISIONS = [("we move the launch to the second week of the month", "launch"),
             ("the travel budget stays at 12,000 per quarter", "travel budget"),
             ("support hours extend to 8 pm on weekdays", "support hours"),
             ("we drop the legacy mobile app in the autumn", "legacy mobile app"),
             ("new dashboards are built in Metabase from now on", "Metabase"),
             ("the design review moves to Thursdays", "design review"),
             ("interns get a dedicated mentor each", "mentor"),
             ("we pilot the four-day on-call rotation", "on-call rotation"),
             ("the newsletter goes out monthly instead of weekly", "newsletter")]
CHATTER = ["{a}: the staging server was slow again on Tuesday", "{a} mentioned the coffee machine is fixed",
           "{a} and {b} went through last month's numbers, nothing surprising", "{a}: still waiting on the vendor",
           "quick round of updates, mostly on track", "{a} asked whether the holiday calendar is final (it is)",
           "{b} shared a screenshot of the new layout, people liked it", "{a}: two people out sick this week",
           "short discussion about parking, no conclusion", "{b}: customer feedback on the beta mostly positive"]


def _due_text(rng: random.Random, d: dt.date) -> str:
    return rng.choice([d.isoformat(), f"{d.day} {d.strftime('%B')}", f"{d.strftime('%a')} {d.day} {d.strftime('%b')}"])


def _notes(rng: random.Random, day: dt.date, team: str, people: list[str], absent: list[str], actions, decisions,
           nxt: dt.date) -> str:
    firsts = [p.split()[0] for p in people]
    lines = [f"{team} sync {day.isoformat()}", "",
             f"present: {', '.join(people)}" + (f"; apologies: {', '.join(absent)}" if absent else ""), ""]
    body = []
    for (verb, _key), owner, due in actions:
        style = rng.randrange(3)
        body.append(f"ACTION {owner}: {verb} by {_due_text(rng, due)}" if style == 0 else
                    f"AI - {owner} to {verb}, due {_due_text(rng, due)}" if style == 1 else
                    f"TODO({owner.lower()}) {verb} -- by {_due_text(rng, due)}")
    for sentence, _key in decisions:
        body.append(rng.choice(["DECIDED: ", "Agreed: ", "-> decision: "]) + sentence)
    for _ in range(len(body) + 2):
        a, b = rng.sample(firsts, 2)
        body.append(rng.choice(CHATTER).format(a=a, b=b))
    rng.shuffle(body)
    lines += [f"* {x}" for x in body]
    lines += ["", f"next sync: {rng.choice([nxt.isoformat(), long_date(nxt)])}", ""]
    return "\n".join(lines)


def _build_minutes(rng: random.Random, k: dict[str, Any]) -> Built:
    team = rng.choice(TEAMS)
    day = dt.date(2024, rng.randint(1, 11), rng.randint(1, 28))
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    firsts = rng.sample(FIRST_NAMES, k["attendees"] + 1)
    people = [f"{f} {rng.choice(LAST_NAMES)}" for f in firsts[:-1]]
    absent = [f"{firsts[-1]} {rng.choice(LAST_NAMES)}"]
    pool = rng.sample(ACTIONS, k["actions"] * (1 + k["older"]))
    dpool = rng.sample(DECISIONS, min(len(DECISIONS), k["decisions"] * (1 + k["older"])))
    nxt = day + dt.timedelta(days=7)
    ws: dict[str, bytes | str] = {}

    def draw(acts, decs, when):
        return ([(a, rng.choice(firsts[:-1]), when + dt.timedelta(days=rng.randint(2, 20))) for a in acts], decs)

    actions, decisions = draw(pool[: k["actions"]], dpool[: k["decisions"]], day)
    notes = f"meetings/{day.isoformat()}-{team}-sync.txt"
    ws[notes] = _notes(rng, day, team.title(), people, absent, actions, decisions, nxt)
    stale_keys = []
    for i in range(k["older"]):
        old = day - dt.timedelta(days=7 * (i + 1))
        acts, decs = draw(pool[k["actions"] * (i + 1): k["actions"] * (i + 2)],
                          dpool[k["decisions"] * (i + 1): k["decisions"] * (i + 2)], old)
        ws[f"meetings/{old.isoformat()}-{team}-sync.txt"] = _notes(rng, old, team.title(), people, [], acts, decs, day)
        stale_keys += [a[0][1] for a in acts] + [d[1] for d in decs]
    ws[f"meetings/{day.isoformat()}-agenda.md"] = (
        f"# {team.title()} sync agenda\n\n1. Updates\n2. Open actions\n3. AOB\n")
    ws["meetings/whiteboard.png"] = png(rng, 16, 12)
    ws.update(noise(rng, k["noise"], avoid=("meetings/", "minutes/")))
    out = f"minutes/{day.isoformat()}-{team}.md"
    t, intro = pick_phrase(rng, [
        f"Can you turn my raw notes from today's {team} sync (`{notes}`) into proper minutes? Save them as `{out}`.",
        f"I scribbled notes during the {team} meeting, they're in `{notes}`. Please write them up as minutes in "
        f"`{out}` so I can send them round.",
        f"Minutes please! Notes from the {day.strftime('%A')} {team} sync are in `{notes}`; put the write-up in `{out}`.",
    ])
    asks = [
        "List who attended.", "Include what we decided.",
        "Every action item needs its owner and a due date written out in full (e.g. 2024-06-14 or 14 June 2024).",
        "Say when the next sync is.",
        "The other files in `meetings/` are older meetings; don't pull anything from them.",
    ]
    instruction = request(rng, intro, asks)
    exp = {"out": out, "notes": notes, "attendees": [p.split()[0] for p in people],
           "actions": [[owner, key, due.isoformat()] for (verb, key), owner, due in actions],
           "decisions": [key for _s, key in decisions], "next": nxt.isoformat(), "stale": stale_keys,
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    rub = rubric(out, f"Meeting minutes written from the raw notes in {notes} for the {team} team.", [
        ("faithful", "invents decisions or actions, or misstates who does what",
         "everything stated is in the notes; nothing important from them is lost"),
        ("useful_to_absentees", "a copy of the raw notes or an unordered dump",
         "someone who missed the meeting sees at a glance what was decided and who does what by when"),
        ("concise_and_neutral", "chatter and side remarks kept, or editorialising",
         "chatter left out, neutral tone, short"),
    ])
    return Built(instruction, ws, exp, {"notes": notes, "out": out, "team": team, "year": day.year}, t,
                 rubric=rub, weights=(0.7, 0.3))


MINUTES_CHECK = COMMON_CHECK + "\n" + script("meeting_minutes_check")

MINUTES_SOLVE = script("meeting_minutes_solve")


def _mutate_minutes(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    t = files[e["out"]].decode()
    owner, key, due = e["actions"][0]
    out: dict[str, dict[str, bytes]] = {}
    kept = [ln for ln in t.splitlines() if key.lower() not in ln.lower()]
    out["action_dropped"] = {**files, e["out"]: "\n".join(kept).encode()}
    wrong = (dt.date.fromisoformat(due) + dt.timedelta(days=1)).isoformat()
    out["wrong_due_date"] = {**files, e["out"]: t.replace(due, wrong, 1).encode()} if due in t else \
        {**files, e["out"]: t.replace(owner, "Someone", 1).encode()}
    if e["stale"]:
        out["stale_item_carried_over"] = {**files, e["out"]: (t + f"\n- Follow up on the {e['stale'][0]}\n").encode()}
    out["no_next_meeting"] = {**files, e["out"]: "\n".join(ln for ln in t.splitlines() if "Next sync" not in ln).encode()}
    out["notes_deleted"] = without(files, e["notes"])
    return out


MINUTES = Family(
    name="meeting_minutes", category="Office and Daily Tasks", subcategory="meeting notes and summaries",
    title="Write meeting minutes from raw notes",
    description="Raw notes with marked actions and decisions in three styles, older meetings beside them; minutes "
                "with attendees, decisions, owners and full due dates, next meeting. Rubric for faithfulness and use.",
    knobs={"attendees": (3, 5, 7), "actions": (2, 4, 5), "decisions": (1, 2, 3), "older": (0, 1, 2),
           "noise": (8, 16, 28)},
    build=_build_minutes, check_body=MINUTES_CHECK, solver=MINUTES_SOLVE, mutate=_mutate_minutes,
    tags=("writing", "summarising", "rubric"))


# ---------------------------------------------------------------------------------------------
# release_announcement

FEATURES = [("Added CSV export for every report", "CSV export"), ("Added a dark mode", "dark mode"),
            ("Added two-factor login with authenticator apps", "two-factor login"),
            ("Added bulk edit for tasks", "bulk edit"), ("Added calendar sync with Google and Outlook", "calendar sync"),
            ("Added an offline mode for the mobile app", "offline mode"), ("Added custom fields on projects", "custom fields"),
            ("Added an audit log for admins", "audit log"), ("Added Slack notifications", "Slack notifications"),
            ("Added keyboard shortcuts for the board view", "keyboard shortcuts"),
            ("Added PDF invoices", "PDF invoices"), ("Added saved filters", "saved filters")]
FIXES = [("Fixed reminders firing in the wrong timezone", "timezone"),
         ("Fixed duplicate notification emails", "duplicate notification"), ("Fixed slow search on large workspaces", "search"),
         ("Fixed a login loop on Safari", "login loop"), ("Fixed attachments over 10 MB failing to upload", "attachments"),
         ("Fixed currency rounding on invoices", "rounding"), ("Fixed the print layout of reports", "print layout"),
         ("Fixed sorting by due date", "sorting by due date")]
INTERNAL = [("Refactored the billing worker", "billing worker"), ("Moved CI to the new runners", "runners"),
            ("Upgraded to Postgres 16", "Postgres"), ("Cleaned up stale feature flags", "feature flags"),
            ("Replaced the logging library", "logging library"), ("Enabled the build cache", "build cache")]


def _build_release(rng: random.Random, k: dict[str, Any]) -> Built:
    product = rng.choice(WORDS).title() + rng.choice(["ly", "Desk", "Sync", "Board", "Flow"])
    major, minor = rng.randint(1, 5), rng.randint(1, 9)
    feats = rng.sample(FEATURES, k["features"] * (1 + k["older"]))
    fixes = rng.sample(FIXES, min(len(FIXES), k["fixes"] * (1 + k["older"])))
    internal = rng.sample(INTERNAL, k["internal"])
    day = dt.date(2024, rng.randint(1, 12), rng.randint(1, 28))
    versions = []
    for i in range(1 + k["older"]):
        f = feats[k["features"] * i: k["features"] * (i + 1)]
        x = fixes[k["fixes"] * i: k["fixes"] * (i + 1)]
        versions.append((f"{major}.{minor - i if minor - i >= 0 else 0}.{i}", day - dt.timedelta(days=30 * i), f, x,
                         internal if i == 0 else internal[:1]))
    log = ["# Changelog", "", "All notable changes to this project are documented here.", ""]
    for ver, d, f, x, inn in versions:
        log += [f"## [{ver}] - {d.isoformat()}", "", "### Added"] + [f"- {s}" for s, _ in f]
        log += ["", "### Fixed"] + [f"- {s}" for s, _ in x] + ["", "### Internal"] + [f"- {s}" for s, _ in inn] + [""]
    ver = versions[0][0]
    slug = ver.replace(".", "-")
    guide = f"https://docs.{product.lower()}.com/upgrade/{slug}"
    links = (f"# Useful links\n\n- Status page: https://status.{product.lower()}.com\n- Upgrade guide for {ver}: {guide}\n"
             f"- Brand assets: https://brand.{product.lower()}.com/kit\n- Old upgrade guide: "
             f"https://docs.{product.lower()}.com/upgrade/{versions[-1][0].replace('.', '-')}-legacy\n")
    ws: dict[str, bytes | str] = {"CHANGELOG.md": "\n".join(log), "docs/links.md": links,
                                  "docs/style-guide.md": "# Voice\n\nFriendly, plain words, no jargon. Short paragraphs.\n",
                                  "press/logo.png": png(rng, 24, 24)}
    ws["press/press-kit.zip"] = zip_bytes({"README.txt": f"{product} press kit\n", "boilerplate.txt":
                                           f"{product} helps teams plan their work.\n"})
    ws.update(noise(rng, k["noise"], avoid=("blog/", "docs/", "press/")))
    out = f"blog/drafts/{product.lower()}-{slug}.md"
    limit = k["words"]
    t, intro = pick_phrase(rng, [
        f"{product} {ver} is out. Could you write the announcement post for our customers? Draft goes in `{out}`.",
        f"We need a short blog post announcing {ver} (see `CHANGELOG.md`). Please draft it at `{out}`.",
        f"Please write up the {ver} release for the customer blog, saved as `{out}`; everything you need is in the repo.",
    ])
    asks = [
        "Cover what's new and what got fixed, in words a customer understands.",
        "Leave out the internal engineering stuff, customers don't care.",
        "Mention the version and the release date, and link the upgrade guide (it's in `docs/links.md`).",
        f"Keep it under {limit} words.",
    ]
    instruction = request(rng, intro, asks)
    exp = {"out": out, "version": ver, "date": day.isoformat(), "guide": guide, "words": limit,
           "features": [key for _s, key in versions[0][2]], "fixes": [key for _s, key in versions[0][3]],
           "internal": [key for _s, key in internal],
           "older": [key for v in versions[1:] for _s, key in v[2] + v[3]],
           "inputs": ["CHANGELOG.md", "docs/links.md"],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    rub = rubric(out, f"A customer-facing blog post announcing {product} {ver}, written from CHANGELOG.md.", [
        ("customer_language", "changelog lines pasted as they are, or jargon",
         "each change explained by what it lets a customer do, in plain words"),
        ("accurate", "claims a change the changelog does not list, or overstates one",
         "every claim matches the changelog entry for this version"),
        ("reads_as_a_post", "a bare list with no framing",
         "a title, a short opening, the changes, and a closing pointer to the upgrade guide"),
    ])
    return Built(instruction, ws, exp, {"out": out, "version": ver, "product": product}, t,
                 rubric=rub, weights=(0.7, 0.3))


RELEASE_CHECK = COMMON_CHECK + "\n" + script("release_announcement_check")

RELEASE_SOLVE = script("release_announcement_solve")


def _mutate_release(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    t = files[e["out"]].decode()
    out: dict[str, dict[str, bytes]] = {}
    f = e["features"][0]
    out["feature_missing"] = {**files, e["out"]: "\n".join(ln for ln in t.splitlines() if f.lower() not in ln.lower()).encode()}
    out["internal_leaked"] = {**files, e["out"]: (t + f"\nAlso: we improved the {e['internal'][0]}.\n").encode()}
    out["no_link"] = {**files, e["out"]: t.replace(e["guide"], "the docs").encode()}
    out["too_long"] = {**files, e["out"]: (t + "\n" + "More words here. " * (e["words"] // 3 + 1)).encode()}
    out["changelog_deleted"] = without(files, "CHANGELOG.md")
    return out


RELEASE = Family(
    name="release_announcement", category="Content and External Communication", subcategory="general content writing",
    title="Write a customer release announcement from a changelog",
    description="Keep-a-changelog file with several releases and internal entries; a customer blog post with every "
                "new feature and fix, version, date, upgrade link, no internal or older items, under a word limit.",
    knobs={"features": (2, 3, 4), "fixes": (1, 2, 3), "internal": (1, 2, 3), "older": (0, 1, 2), "words": (300, 250, 220),
           "noise": (8, 16, 28)},
    build=_build_release, check_body=RELEASE_CHECK, solver=RELEASE_SOLVE, mutate=_mutate_release,
    tags=("writing", "content", "rubric"))

FAMILIES = [MINUTES, RELEASE]
