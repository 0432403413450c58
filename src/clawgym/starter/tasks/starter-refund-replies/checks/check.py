"""Checks for starter-refund-replies: decisions are recomputed from input/ with the policy's rules."""
import csv
import datetime
import hashlib
import io
import json
import re
import sys
from pathlib import Path

SIGNOFF = "The Fernhill Goods team"


def decide(t):
    days = (datetime.date.fromisoformat(t["request_date"]) - datetime.date.fromisoformat(t["purchase_date"])).days
    cond = t["condition"].strip().lower()
    if cond == "damaged":
        decision = "refund" if days <= 90 else "deny"
    elif cond == "unopened":
        decision = "refund" if days <= 30 else "deny"
    elif cond == "opened":
        decision = "store_credit" if days <= 30 else "deny"
    else:
        decision = "deny"
    return decision, days


def expected(ws):
    tickets = json.loads((ws / "input" / "tickets.json").read_text(encoding="utf-8"))
    if not tickets:
        raise ValueError("no tickets")
    return sorted(tickets, key=lambda t: t["ticket_id"])


def reply(ws, t):
    return (ws / "output" / "replies" / f"{t['ticket_id']}.md").read_text(encoding="utf-8")


def read_csv(ws):
    text = (ws / "output" / "decisions.csv").read_text(encoding="utf-8")
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text)) if r]


def c_decisions(ws, tickets):
    rows = read_csv(ws)
    if not rows or rows[0] != ["ticket_id", "decision", "days_since_purchase"]:
        return False
    got = {r[0]: r[1] for r in rows[1:] if len(r) == 3}
    return sum(got.get(t["ticket_id"]) == decide(t)[0] for t in tickets) / len(tickets)


def c_days(ws, tickets):
    got = {r[0]: r[2] for r in read_csv(ws)[1:] if len(r) == 3}
    return sum(got.get(t["ticket_id"]) == str(decide(t)[1]) for t in tickets) / len(tickets)


def c_csv_exact(ws, tickets):
    want = [["ticket_id", "decision", "days_since_purchase"]]
    want += [[t["ticket_id"], decide(t)[0], str(decide(t)[1])] for t in tickets]
    return read_csv(ws) == want


def frac(ws, tickets, test):
    ok = 0
    for t in tickets:
        try:
            ok += bool(test(t, reply(ws, t)))
        except Exception:
            pass
    return ok / len(tickets)


def c_headers(ws, tickets):
    def test(t, text):
        ls = text.splitlines()
        first = t["customer_name"].split()[0]
        return (ls[0].strip() == f"Subject: Your request about order {t['order_id']}" and ls[1].strip() == ""
                and ls[2].strip() == f"Hi {first},")
    return frac(ws, tickets, test)


def c_wording(ws, tickets):
    def test(t, text):
        low = text.lower()
        d = decide(t)[0]
        if d == "refund":
            return "full refund" in low
        if d == "store_credit":
            return "store credit" in low
        limit = "90" if t["condition"].strip().lower() == "damaged" else "30"
        return "full refund" not in low and "store credit" not in low and re.search(rf"\b{limit}\b", low)
    return frac(ws, tickets, test)


def c_body(ws, tickets):
    def test(t, text):
        ls = [l.strip() for l in text.splitlines() if l.strip()]
        body = "\n".join(ls[2:-1])
        return (t["order_id"] in body and ls[-1] == SIGNOFF and len(re.findall(r"\S+", body)) >= 25
                and not re.search(r"\[[^\]]*\]|\bTBD\b|\bTODO\b", text))
    return frac(ws, tickets, test)


def c_no_extra(ws, tickets):
    if c_headers(ws, tickets) == 0:
        return False
    names = {p.name for p in (ws / "output" / "replies").iterdir()}
    return names == {f"{t['ticket_id']}.md" for t in tickets}


CHECKS = {"decisions": c_decisions, "days_since_purchase": c_days, "decisions_csv_exact": c_csv_exact,
          "reply_subject_and_greeting": c_headers, "reply_decision_wording": c_wording,
          "reply_body_and_signoff": c_body, "one_reply_per_ticket": c_no_extra}


# -- the inputs the user asked to keep --------------------------------------------------------------
#: SHA-256 of each input as the task ships it. The instruction asks for them to be left as they
#: were, so a right answer that deletes, empties or edits any of them keeps only TAMPER_FACTOR of
#: its score (a reward that ignores them teaches an agent that destroying the user's files is free).
KEPT = {
    "input/refund_policy.md":
        "a4f3f798e28c076bcfb682cab99ffc5c9430d23f791c9dc23dc149745d2777cf",
    "input/tickets.json":
        "173db4cbb905d87a43e598ada043f0d1ea56662c6194a8003ee140685024b2d5",
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
        tickets = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, tickets)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return gate_inputs(out, intact)


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
