"""The reference solver of the family `ticket_replies`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
tickets = json.loads(Path("support/tickets.json").read_text(encoding="utf-8"))
todo = sorted((t for t in tickets if t["type"] == "refund" and t["status"] == "open"), key=lambda t: t["id"])
folder = Path(P["folder"])
folder.mkdir(parents=True, exist_ok=True)
for t in todo:
    (folder / (t["id"] + ".txt")).write_text(
        f"Dear {t['customer']},\n\nThank you for your patience. We have approved the refund for your order "
        f"{t['order']}: {P['currency']}{t['amount']} will be returned to your original payment method.\n\n"
        f"If anything is unclear, just reply to this message.\n\n"
        f"You will receive the money within {P['days']} business days.\n", encoding="utf-8")
with open(P["index"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["ticket", "customer", "amount"])
    w.writerows([t["id"], t["customer"], t["amount"]] for t in todo)
