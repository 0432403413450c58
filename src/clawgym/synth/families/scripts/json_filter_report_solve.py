"""The reference solver of the family `json_filter_report`: its solve.py is `_solve_head.py` followed
by this text."""

import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
from decimal import Decimal
items = json.loads(Path(P["src"]).read_text(encoding="utf-8"))
pick = [i for i in items if i["category"] in P["wanted"] and i["stock"] < P["threshold"] and not i["discontinued"]]
pick.sort(key=lambda i: i["sku"])
rows = [{"sku": i["sku"], "name": i["name"], "stock": i["stock"], "order_qty": P["target"] - i["stock"]} for i in pick]
cost = sum(Decimal(str(i["unit_cost"])) * (P["target"] - i["stock"]) for i in pick)
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
Path(P["out"]).write_text(json.dumps({"count": len(rows), "items": rows, "total_cost": float(round(cost, 2))},
                                     indent=2) + "\n", encoding="utf-8")
