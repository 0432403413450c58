"""Information retrieval over local documents: answer a colleague's questions from a handbook
(current pages beside superseded archive copies, HTML beside Markdown), citing the page; check a
newsletter draft's figures against the data files and fix the wrong ones in place."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from typing import Any

from clawgym.synth.families._assets import COMMON_CHECK, noise, pdf, person, png, request, sha, without
from clawgym.synth.families._base import FIRST_NAMES, WORDS, Built, Family, dumps, pick_phrase, script

# topic, file stem, fact sentence ({v} is the value), question, kind, value range
FACTS = [
    ("travel", "travel-policy", "Meals on business trips are reimbursed up to EUR {v} per day.",
     "How much can I claim for meals per day on a business trip?", "num", (25, 80)),
    ("parental leave", "parental-leave", "Parental leave is {v} weeks at full pay.",
     "How many weeks of fully paid parental leave do we get?", "num", (8, 26)),
    ("equipment", "equipment", "Laptops are replaced every {v} years.", "How often are laptops replaced (years)?",
     "num", (2, 5)),
    ("remote work", "remote-work", "You may work from abroad for up to {v} days a year.",
     "How many days a year can I work from abroad?", "num", (10, 60)),
    ("expenses", "expenses", "Expense claims must be filed within {v} days of the purchase.",
     "What's the deadline (in days) for filing an expense claim?", "num", (14, 90)),
    ("learning", "learning-budget", "Every employee has a learning budget of EUR {v} per year.",
     "What is the yearly learning budget per person?", "num", (500, 3000)),
    ("holidays", "annual-leave", "Full-time staff get {v} days of annual leave.",
     "How many days of annual leave does a full-timer get?", "num", (20, 32)),
    ("security", "security", "Report a lost or stolen laptop to {v} straight away.",
     "Who do I tell if my laptop is stolen?", "name", None),
    ("payroll", "payroll", "Salaries are paid on day {v} of each month.", "On which day of the month are we paid?",
     "num", (15, 28)),
    ("passwords", "it-accounts", "Passwords must be at least {v} characters long.",
     "What's the minimum password length?", "num", (10, 16)),
    ("onboarding", "onboarding", "New joiners are assigned a buddy by {v}.", "Who assigns onboarding buddies?",
     "name", None),
    ("sick leave", "sick-leave", "A doctor's note is needed from day {v} of sick leave.",
     "From which day of sick leave do I need a doctor's note?", "num", (2, 5)),
]
FILLER = ["This page is maintained by People Ops. Questions go to the #ask-people channel.",
          "The rules below apply to all permanent employees unless your contract says otherwise.",
          "We review this policy once a year.", "Managers can approve exceptions in writing.",
          "See the FAQ at the bottom of the page for common cases.", "Contractors should check their own agreement."]


def _page(rng: random.Random, topic: str, sentence: str, fmt: str, stale: bool) -> str:
    paras = rng.sample(FILLER, 3)
    paras.insert(rng.randrange(1, 4), sentence)
    title = topic.title() + (" (2019, superseded)" if stale else "")
    if stale:
        paras.insert(0, "ARCHIVED: this version is no longer in force; see the current handbook.")
    if fmt == "html":
        body = "".join(f"<p>{p}</p>\n" for p in paras)
        return f"<!doctype html>\n<html><head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n{body}</body></html>\n"
    if fmt == "txt":
        return f"{title.upper()}\n{'=' * len(title)}\n\n" + "\n\n".join(paras) + "\n"
    return f"# {title}\n\n" + "\n\n".join(paras) + "\n"


def _build_qa(rng: random.Random, k: dict[str, Any]) -> Built:
    facts = rng.sample(FACTS, k["pages"])
    asked = facts[: k["questions"]]
    ws: dict[str, bytes | str] = {}
    truth: dict[str, tuple[str, Any]] = {}
    patterns = []
    for topic, stem, sent, q, kind, rng_v in facts:
        fmt = rng.choice(["md", "md", "html", "txt"])
        if kind == "num":
            v, old = rng.randint(*rng_v), None
            while old is None or old == v:
                old = rng.randint(*rng_v)
        else:
            v, old = person(rng), person(rng)
            while old.split()[0] == v.split()[0]:
                old = person(rng)
        path = f"handbook/{stem}.{fmt}"
        ws[path] = _page(rng, topic, sent.format(v=v), fmt, False)
        truth[stem] = (path, v)
        if k["archive"] and rng.random() < 0.7:
            ws[f"handbook/archive/{stem}-2019.md"] = _page(rng, topic, sent.format(v=old), "md", True)
        head, tail = sent.split("{v}")
        patterns.append([stem, head, tail])
    ws["handbook/README.md"] = "# Employee handbook\n\nStart here. Current pages are in this folder; `archive/` keeps " \
                               "old versions for reference only.\n"
    ws["handbook/org-chart.png"] = png(rng, 20, 14)
    ws["handbook/benefits-brochure.pdf"] = pdf(["Benefits at a glance", "Ask People Ops for the full brochure."])
    asker = rng.choice(FIRST_NAMES)
    qs_path = rng.choice(["questions.txt", f"inbox/from-{asker.lower()}.txt", "notes/new-joiner-questions.md"])
    order = list(range(len(asked)))
    qs = "\n".join(f"{i + 1}. {asked[j][3]}" for i, j in enumerate(order))
    ws[qs_path] = f"Hi! I'm new and have a few questions, could you find the answers in the handbook?\n\n{qs}\n\n" \
                  f"Thanks, {asker}\n"
    ws.update(noise(rng, k["noise"], avoid=("handbook/", "answers")))
    out = rng.choice(["answers.json", "answers/handbook-answers.json"])
    t, intro = pick_phrase(rng, [
        f"{asker} sent me some questions (`{qs_path}`). Can you look them up in our handbook (`handbook/`) and put "
        f"the answers in `{out}`?",
        f"Please answer the questions in `{qs_path}` from the employee handbook and save them to `{out}`.",
        f"Could you dig through `handbook/` and answer {asker}'s questions from `{qs_path}`? Answers in `{out}`, please.",
    ])
    asks = [
        "For each question give the answer and the handbook file you found it in, so I can double-check "
        "(a JSON list of objects with `question` (its number), `answer` and `source`).",
        "Use the current handbook pages only.",
    ]
    instruction = request(rng, intro, asks)
    exp = {"out": out, "questions": [[i + 1, asked[j][4], truth[asked[j][1]][1], truth[asked[j][1]][0]]
                                     for i, j in enumerate(order)],
           "inputs": [qs_path] + [truth[f[1]][0] for f in asked],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    params = {"out": out, "questions": [[i + 1] + [p for p in patterns if p[0] == asked[j][1]][0][1:]
                                        for i, j in enumerate(order)]}
    return Built(instruction, ws, exp, params, t)


QA_CHECK = COMMON_CHECK + "\n" + script("handbook_answers_check")

QA_SOLVE = script("handbook_answers_solve")


def _mutate_qa(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    data = json.loads(files[e["out"]])
    out: dict[str, dict[str, bytes]] = {}
    wrong = json.loads(files[e["out"]])
    a = wrong[0]["answer"]
    wrong[0]["answer"] = a + 1 if isinstance(a, int) else "Someone Else"
    out["wrong_answer"] = {**files, e["out"]: dumps(wrong).encode()}
    arch = json.loads(files[e["out"]])
    arch[0]["source"] = "handbook/archive/" + arch[0]["source"].split("/")[-1]
    out["archive_cited"] = {**files, e["out"]: dumps(arch).encode()}
    out["one_missing"] = {**files, e["out"]: dumps(data[1:]).encode()}
    out["handbook_page_deleted"] = without(files, e["questions"][0][3])
    return out


DOC_QA = Family(
    name="handbook_answers", category="Information Retrieval and Collection",
    subcategory="knowledge retrieval and grounding",
    title="Answer questions from a local handbook, citing the page",
    description="A handbook of Markdown, HTML and text pages with superseded archive copies; answer a new joiner's "
                "questions with values and the current page as source.",
    knobs={"pages": (5, 8, 12), "questions": (2, 4, 6), "archive": (False, True, True), "noise": (8, 16, 26)},
    build=_build_qa, check_body=QA_CHECK, solver=QA_SOLVE, mutate=_mutate_qa, tags=("retrieval", "grounding"))


# ---------------------------------------------------------------------------------------------
# newsletter_fact_check

STORES = ["Lyon", "Porto", "Leeds", "Graz", "Malmo", "Ghent", "Turin", "Bergen"]
TEAMS = ["Sales", "Support", "Engineering", "Design", "Finance"]


def _quarter_days(year: int, q: int) -> list[dt.date]:
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def _build_factcheck(rng: random.Random, k: dict[str, Any]) -> Built:
    year, q = 2024, rng.randint(2, 4)
    stores = rng.sample(STORES, k["stores"])
    rows = []
    for d in _quarter_days(year, q - 1) + _quarter_days(year, q):
        for _ in range(rng.randint(0, k["orders_per_day"])):
            rows.append([d.isoformat(), rng.choice(stores), rng.randint(12, 240)])
    cur = [r for r in rows if _quarter_days(year, q)[0].isoformat() <= r[0]]
    if not cur:
        rows.append([_quarter_days(year, q)[3].isoformat(), stores[0], 99])
        cur = rows[-1:]
    counts = {s: sum(1 for r in cur if r[1] == s) for s in stores}
    top = max(sorted(stores), key=lambda s: counts[s])
    if list(counts.values()).count(counts[top]) > 1:  # make the busiest store unique
        rows.append([_quarter_days(year, q)[5].isoformat(), top, 50])
        cur = [r for r in rows if _quarter_days(year, q)[0].isoformat() <= r[0]]
        counts[top] += 1
    total = sum(r[2] for r in cur)
    avg = round(total / len(cur), 2)
    hires = []
    for _ in range(k["hires"]):
        d = rng.choice(_quarter_days(year, q - 1) + _quarter_days(year, q))
        hires.append({"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(WORDS).title()}", "team": rng.choice(TEAMS),
                      "start_date": d.isoformat()})
    if not any(h["start_date"] >= _quarter_days(year, q)[0].isoformat() for h in hires):
        hires[0]["start_date"] = _quarter_days(year, q)[10].isoformat()
    hires.sort(key=lambda h: h["start_date"])
    new = [h for h in hires if h["start_date"] >= _quarter_days(year, q)[0].isoformat()]
    claims = [
        ("revenue", f"Revenue for Q{q} came to EUR ", total, " across all stores."),
        ("orders", f"{top} was again our busiest store, with ", counts[top], " orders."),
        ("hires", "We welcomed ", len(new), " new colleagues this quarter."),
        ("average", "The average order was worth EUR ", avg, "."),
    ][: k["claims"]]
    drafted, wrong = [], []
    for i, (name, head, value, tail) in enumerate(claims):
        bad = i == 0 or rng.random() < 0.5
        if bad:
            shown = value + rng.choice([-1, 1]) * (rng.randint(1, 9) if name in ("orders", "hires") else
                                                     rng.randint(100, 900) if name == "revenue" else
                                                     rng.randint(1, 400) / 100)
            if name == "hires":
                shown = abs(shown) + (1 if shown == value else 0)
            shown = round(shown, 2) if name == "average" else int(shown)
            if shown == value or shown < 0:
                shown = value + 3
            wrong.append(name)
        else:
            shown = value
        fmt = (lambda v: f"{v:,}") if name == "revenue" else (lambda v: f"{v:.2f}") if name == "average" else str
        drafted.append([name, head, fmt(shown), tail, value, fmt(value)])
    filler = [f"# Q{q} {year} newsletter (draft)", "", "Hello everyone,", "",
              "Another busy quarter is behind us, and we want to thank every one of you for it.",
              "The summer party photos are on the shared drive.", "The new coffee machine in the kitchen works now."]
    body = [h + s + t for _n, h, s, t, _v, _f in drafted]
    lines = filler[:5] + body[:2] + [filler[5]] + body[2:] + [filler[6], "", "See you next quarter,", "The comms team", ""]
    draft = rng.choice(["newsletter/draft.md", f"comms/q{q}-newsletter.md", "newsletter/Q%d-draft.md" % q])
    ws: dict[str, bytes | str] = {draft: "\n".join(lines)}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["date", "store", "amount_eur"])
    w.writerows(rows)
    ws["data/orders.csv"] = buf.getvalue()
    ws["data/hires.json"] = dumps(hires)
    ws["data/README.md"] = "orders.csv: one row per order (amount in whole euros). hires.json: start dates of new staff.\n"
    ws["newsletter/header.png"] = png(rng, 32, 8)
    ws["newsletter/last-quarter.pdf"] = pdf([f"Q{q - 1} {year} newsletter", "Thanks for a great quarter."])
    ws.update(noise(rng, k["noise"], avoid=("newsletter/", "comms/", "data/")))
    t, intro = pick_phrase(rng, [
        f"Before the Q{q} newsletter goes out, can you check its numbers against our data? The draft is `{draft}`.",
        f"Please fact-check the figures in `{draft}` using the files in `data/`, and fix whatever is wrong.",
        f"I don't trust the numbers in `{draft}`. Check them against `data/` and correct them in the draft.",
    ])
    asks = ["Fix the wrong figures right in the draft; leave everything else in it as it is.",
            f"Q{q} means {_quarter_days(year, q)[0].isoformat()} to {_quarter_days(year, q)[-1].isoformat()}.",
            "The data files are the source of truth; don't change them."]
    instruction = request(rng, intro, asks)
    exp = {"draft": draft, "claims": [[n, h, s, t, v] for n, h, s, t, v, _f in drafted], "wrong": wrong,
           "filler": [ln for ln in lines if ln.strip() and ln not in body],
           "inputs": ["data/orders.csv", "data/hires.json"],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items() if p != draft}}
    params = {"draft": draft, "q_start": _quarter_days(year, q)[0].isoformat(),
              "q_end": _quarter_days(year, q)[-1].isoformat(), "claims": [[n, h, s, t] for n, h, s, t, _v, _f in drafted]}
    return Built(instruction, ws, exp, params, t, mutable=(draft,))


FACT_CHECK = COMMON_CHECK + "\n" + script("newsletter_fact_check_check")

FACT_SOLVE = script("newsletter_fact_check_solve")


def _mutate_factcheck(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    t = files[e["draft"]].decode()
    out: dict[str, dict[str, bytes]] = {}
    lines = t.splitlines()
    name, head, shown, tail, value = next(c for c in e["claims"] if c[0] in e["wrong"])
    out["one_left_wrong"] = {**files, e["draft"]: "\n".join(head + shown + tail if ln.startswith(head) else ln
                                                            for ln in lines).encode()}
    out["sentence_rewritten"] = {**files, e["draft"]: t.replace(e["filler"][2], "We had a quarter.").encode()}
    out["data_changed"] = {**files, "data/hires.json": b"[]\n"}
    return out


FACTCHECK = Family(
    name="newsletter_fact_check", category="Information Retrieval and Collection",
    subcategory="fact-checking and verification",
    title="Fact-check a newsletter draft's figures against the data and fix them in place",
    description="Orders CSV and hires JSON over two quarters; a draft with revenue, busiest store, hires and average "
                "claims, some wrong; fix exactly the wrong figures, keep every other line.",
    knobs={"claims": (2, 3, 4), "stores": (3, 5, 8), "orders_per_day": (1, 2, 3), "hires": (3, 8, 15),
           "noise": (8, 14, 24)},
    build=_build_factcheck, check_body=FACT_CHECK, solver=FACT_SOLVE, mutate=_mutate_factcheck,
    tags=("retrieval", "fact-checking"))

FAMILIES = [DOC_QA, FACTCHECK]
