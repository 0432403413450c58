"""Communication drafting families: a shipping email with exact facts; refund replies per ticket."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from clawgym.synth.families._base import (
    FIRST_NAMES, LAST_NAMES, Built, Family, bullets, dumps, leave_alone, pick_phrase, script,
)

PRODUCTS = ["Desk Lamp", "Notebook Set", "Ceramic Mug", "USB-C Cable", "Yoga Mat", "Water Bottle", "Plant Pot",
            "Headphones", "Backpack", "Tea Sampler", "Wall Clock", "Phone Stand"]


# ---------------------------------------------------------------------------------------------
# order_email

def _build_email(rng: random.Random, k: dict[str, Any]) -> Built:
    orders = []
    sender = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    firsts = rng.sample([n for n in FIRST_NAMES if n not in sender], 1 + k["distractors"])
    for i in range(1 + k["distractors"]):
        first, last = firsts[i], rng.choice(LAST_NAMES)
        items = [{"product": p, "qty": rng.randint(1, 4), "unit_price": rng.randint(299, 8999) / 100}
                 for p in rng.sample(PRODUCTS, k["items"])]
        orders.append({"order_id": f"ORD-{rng.randint(10000, 99999)}", "customer": {"first_name": first, "last_name": last,
                       "email": f"{first.lower()}.{last.lower()}@example.com"}, "items": items,
                       "shipping": rng.choice([0, 4.95, 7.5, 12]),
                       "delivery_date": (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 360))).isoformat()})
    target = orders[0]
    rng.shuffle(orders)
    cents = sum(round(it["unit_price"] * 100) * it["qty"] for it in target["items"]) + round(target["shipping"] * 100)
    total = "$%d.%02d" % divmod(cents, 100)
    d = dt.date.fromisoformat(target["delivery_date"])
    date_text = f"{d.strftime('%A')}, {d.day} {d.strftime('%B')} {d.year}"
    cid = target["order_id"]
    out = rng.choice([f"drafts/{cid}.txt", "outbox/shipping_email.txt", "drafts/email.txt"])
    first = target["customer"]["first_name"]
    t, intro = pick_phrase(rng, [
        f"Order {cid} has shipped. Please draft the email to the customer.",
        f"Could you write the shipping confirmation for order {cid}? I'll send it myself.",
        f"Draft a short 'your order is on its way' email for {cid}.",
    ])
    rules = [
        f"The order details are in `data/orders.json` (it holds other orders too: use only {cid}).",
        f"Save the draft as `{out}`; its first line is `Subject: ` followed by a subject that contains the order id.",
        "Greet the customer by first name.",
        "List every item on its own line with its quantity, like `- 2 x Ceramic Mug`.",
        "State the total (items plus shipping) exactly as `$123.45`, and the delivery date written like "
        "`Monday, 3 June 2024`.",
        f"End with a sign-off whose last line is my name, {sender}.",
        leave_alone(rng, ["data/orders.json"]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"out": out, "order_id": cid, "first_name": first, "items": [[it["product"], it["qty"]] for it in target["items"]],
           "total": total, "date": date_text, "sender": sender,
           "others": [o["order_id"] for o in orders if o["order_id"] != cid] +
                     [o["customer"]["first_name"] + " " + o["customer"]["last_name"] for o in orders
                      if o["customer"]["first_name"] != first]}
    return Built(instruction, {"data/orders.json": dumps(orders)}, exp,
                 {"order_id": cid, "out": out, "sender": sender}, t)


EMAIL_CHECK = script("order_email_check")

EMAIL_SOLVE = script("order_email_solve")


def _mutate_email(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    t = files[e["out"]].decode()
    out = {}
    out["wrong_total"] = {**files, e["out"]: t.replace(e["total"], e["total"][:-1] + ("1" if e["total"][-1] != "1" else "2")).encode()}
    p, q = e["items"][0]
    out["item_missing"] = {**files, e["out"]: "\n".join(ln for ln in t.splitlines() if p not in ln).encode()}
    out["no_subject"] = {**files, e["out"]: t.split("\n", 1)[1].encode()}
    out["other_customer_named"] = {**files, e["out"]: t.replace("Good news", f"Good news ({e['others'][0]})").encode()} \
        if e["others"] else {**files, e["out"]: t.replace(e["date"], "soon").encode()}
    out["unsigned"] = {**files, e["out"]: t.replace("\n" + e["sender"] + "\n", "\n").encode()}
    return out


EMAIL = Family(
    name="order_email", category="communication drafting", subcategory="email drafting with exact facts",
    title="Draft a shipping confirmation email with exact facts",
    description="Pick one order among several, state items, exact total and formatted date, sign off.",
    knobs={"items": (1, 3, 5), "distractors": (0, 2, 5)},
    build=_build_email, check_body=EMAIL_CHECK, solver=EMAIL_SOLVE, mutate=_mutate_email, tags=("email", "writing"))


# ---------------------------------------------------------------------------------------------
# ticket_replies

def _build_tickets(rng: random.Random, k: dict[str, Any]) -> Built:
    days = rng.choice([3, 5, 7, 10])
    currency = rng.choice(["€", "£", "$"])
    tickets, eligible = [], []
    ids = rng.sample(range(1000, 9999), k["tickets"])
    for i, n in enumerate(ids):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        kind = rng.choice(["refund", "refund", "delivery", "password"] if k["distractors"] else ["refund"])
        status = rng.choice(["open", "open", "closed", "pending"] if k["distractors"] else ["open"])
        amount = "%d.%02d" % divmod(rng.randint(500, 40000), 100)
        tk = {"id": f"T-{n}", "customer": f"{first} {last}", "status": status, "type": kind,
              "order": f"#{rng.randint(100000, 999999)}", "amount": amount}
        tickets.append(tk)
        if kind == "refund" and status == "open":
            eligible.append(tk)
    if not eligible:
        tickets[0].update(type="refund", status="open")
        eligible.append(tickets[0])
    eligible.sort(key=lambda t: t["id"])
    folder = rng.choice(["replies", "outbox/refunds"])
    index = f"{folder}/index.csv"
    policy = (f"# Refund policy\n\nApproved refunds go back to the original payment method within {days} business "
              f"days. Amounts are in {currency}.\n")
    t, intro = pick_phrase(rng, [
        "Please answer the open refund tickets in `support/tickets.json`.",
        "We're behind on refunds. Write a reply for each open refund request in `support/tickets.json`.",
        "Draft customer replies for the refund tickets that are still open (`support/tickets.json`).",
    ])
    rules = [
        f"Only tickets with `type` `refund` and `status` `open` get a reply: one file `{folder}/<ticket id>.txt` each "
        "(e.g. `T-1234.txt`), nothing for the others.",
        "Each reply addresses the customer by full name, mentions their order number, and states the refund amount "
        f"with the currency sign and 2 decimals (e.g. `{currency}12.50`).",
        "Each reply ends with a sentence saying within how many business days the money arrives, as the policy in "
        "`support/policy.md` says.",
        f"Also write `{index}` with the header `ticket,customer,amount` (amount without currency sign), one row per "
        "reply, sorted by ticket id.",
        leave_alone(rng, ["support/tickets.json", "support/policy.md"]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"folder": folder, "index": index, "days": days, "currency": currency,
           "replies": [[tk["id"], tk["customer"], tk["order"], tk["amount"]] for tk in eligible],
           "others": [tk["id"] for tk in tickets if tk not in eligible]}
    return Built(instruction, {"support/tickets.json": dumps(tickets), "support/policy.md": policy}, exp,
                 {"folder": folder, "index": index, "days": days, "currency": currency}, t)


TICKET_CHECK = script("ticket_replies_check")

TICKET_SOLVE = script("ticket_replies_solve")


def _mutate_tickets(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    tid, name, order, amount = e["replies"][0]
    p = f"{e['folder']}/{tid}.txt"
    t = files[p].decode()
    out["wrong_amount"] = {**files, p: t.replace(amount, amount[:-1] + ("1" if amount[-1] != "1" else "2")).encode()}
    out["wrong_days"] = {**files, p: t.replace(f"within {e['days']} business", f"within {e['days'] + 1} business").encode()}
    v = dict(files)
    v.pop(p)
    out["reply_missing"] = v
    if e["others"]:
        out["reply_to_closed_ticket"] = {**files, f"{e['folder']}/{e['others'][0]}.txt": t.encode()}
    lines = files[e["index"]].decode().splitlines(keepends=True)
    out["index_row_missing"] = {**files, e["index"]: "".join(lines[:-1]).encode()}
    return out


TICKETS = Family(
    name="ticket_replies", category="communication drafting", subcategory="message drafting",
    title="Reply to open refund tickets with exact amounts",
    description="Select eligible tickets, write one reply each with name, order, amount, policy days; an index.",
    knobs={"tickets": (3, 7, 14), "distractors": (False, True, True)},
    build=_build_tickets, check_body=TICKET_CHECK, solver=TICKET_SOLVE, mutate=_mutate_tickets,
    tags=("writing", "support"))

FAMILIES = [EMAIL, TICKETS]
