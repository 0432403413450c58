"""The reference solver of the family `order_email`: its solve.py is `_solve_head.py` followed by this
text."""

import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
import datetime as dt
orders = json.loads(Path("data/orders.json").read_text(encoding="utf-8"))
o = next(x for x in orders if x["order_id"] == P["order_id"])
cents = sum(round(it["unit_price"] * 100) * it["qty"] for it in o["items"]) + round(o["shipping"] * 100)
d = dt.date.fromisoformat(o["delivery_date"])
lines = [f"Subject: Your order {o['order_id']} is on its way", "", f"Hi {o['customer']['first_name']},", "",
         "Good news: your order has shipped. It contains:", ""]
lines += [f"- {it['qty']} x {it['product']}" for it in o["items"]]
lines += ["", "Total charged (items and shipping): $%d.%02d" % divmod(cents, 100),
          f"Expected delivery: {d.strftime('%A')}, {d.day} {d.strftime('%B')} {d.year}", "",
          "Thank you for shopping with us, and let us know if anything is not right.", "", "Best regards,", P["sender"]]
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["out"]).write_text("\n".join(lines) + "\n", encoding="utf-8")
