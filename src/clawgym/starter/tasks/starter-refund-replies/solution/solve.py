import csv
import datetime
import json
from pathlib import Path

tickets = sorted(json.loads(Path("input/tickets.json").read_text(encoding="utf-8")), key=lambda t: t["ticket_id"])
out = Path("output/replies")
out.mkdir(parents=True, exist_ok=True)
rows = []
for t in tickets:
    days = (datetime.date.fromisoformat(t["request_date"]) - datetime.date.fromisoformat(t["purchase_date"])).days
    cond = t["condition"].lower()
    limit = 90 if cond == "damaged" else 30
    if days > limit:
        decision = "deny"
    else:
        decision = "store_credit" if cond == "opened" else "refund"
    rows.append([t["ticket_id"], decision, days])
    first = t["customer_name"].split()[0]
    item, order = t["item"], t["order_id"]
    if decision == "refund":
        why = ("arrived damaged" if cond == "damaged" else "is still unopened")
        body = (f"Thank you for getting in touch about your {item} (order {order}), and sorry it wasn't right. "
                f"Since the item {why} and you contacted us {days} days after purchase, you qualify for a "
                "full refund. We'll email you a prepaid return label within one business day, and the money "
                "goes back to your original payment method as soon as the parcel is on its way.")
    elif decision == "store_credit":
        body = (f"Thank you for letting us know about your {item} (order {order}). I'm sorry it didn't work "
                "out for you. Because the item has been opened and you reached us within 30 days of purchase, "
                "we can offer you store credit for the full amount. Once you send it back with the prepaid "
                "label we'll email you, the credit is added to your account and never expires.")
    else:
        body = (f"Thank you for reaching out about your {item} (order {order}). I'm really sorry, but your "
                f"request came in {days} days after purchase, and our policy only allows returns within "
                f"{limit} days for this case, so we're unable to accept this one. If there is anything else "
                "we can help with, just reply to this email.")
    text = f"Subject: Your request about order {order}\n\nHi {first},\n\n{body}\n\nWarm regards,\nThe Fernhill Goods team\n"
    (out / f"{t['ticket_id']}.md").write_text(text, encoding="utf-8")
with open("output/decisions.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ticket_id", "decision", "days_since_purchase"])
    w.writerows(rows)
