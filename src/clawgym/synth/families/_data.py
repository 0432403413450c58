"""Data analysis and log triage families: group totals from a CSV, a filtered JSON report,
error triage from application logs, an access-log report."""

from __future__ import annotations

import csv
import io
import json
import random
from decimal import Decimal
from typing import Any

from clawgym.synth.families._base import Built, Family, bullets, dumps, leave_alone, pick_phrase, script, unique_words


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _drop_last_line(b: bytes) -> bytes:
    lines = b.decode().splitlines(keepends=True)
    return "".join(lines[:-1]).encode()


# ---------------------------------------------------------------------------------------------
# csv_group_summary

TOPICS = [
    ("expenses", "category", ["Travel", "Meals", "Software", "Office", "Training", "Hardware", "Postage"]),
    ("sales", "region", ["North", "South", "East", "West", "Central", "Coastal", "Highlands"]),
    ("donations", "campaign", ["Spring Drive", "Gala", "Online", "Matching", "Schools", "Winter Appeal", "Radio"]),
]


def _build_csv(rng: random.Random, k: dict[str, Any]) -> Built:
    topic, col, pool = rng.choice(TOPICS)
    groups = rng.sample(pool, k["groups"])
    src = f"data/{topic}.csv"
    rows, used = [], []
    for i in range(k["rows"]):
        g = rng.choice(groups)
        cents = rng.randint(150, 90000)
        shown = g
        if k["messy_names"] and rng.random() < 0.35:
            shown = rng.choice([g.upper(), g.lower(), f" {g} ", f"{g}  "])
        rows.append(["2024-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28)), shown, f"item {i + 1}",
                     "%d.%02d" % divmod(cents, 100)])
        used.append((g, cents))
    bad = 0
    for _ in range(k["malformed"]):
        pos = rng.randrange(len(rows) + 1)
        rows.insert(pos, ["2024-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28)), rng.choice(groups),
                          "refund pending", rng.choice(["n/a", "", "TBD", "12,50"])])
        bad += 1
    lines = [_csv([["date", col, "description", "amount"]])] + [_csv([r]) for r in rows]
    if k["blank_lines"]:
        for _ in range(2):
            lines.insert(rng.randrange(1, len(lines) + 1), "\n")
    totals: dict[str, list[int]] = {}
    for g, c in used:
        t = totals.setdefault(g, [0, 0])
        t[0] += 1
        t[1] += c
    # equal totals would leave the order to the name tie-break: fine, but it is stated
    table = sorted(([g, n, "%d.%02d" % divmod(c, 100)] for g, (n, c) in totals.items()),
                   key=lambda r: (-Decimal(r[2]), r[0]))
    out_csv = rng.choice([f"output/{col}_totals.csv", f"report/{topic}_by_{col}.csv", "output/summary.csv"])
    out_json = out_csv.rsplit("/", 1)[0] + "/stats.json"
    grand = sum(c for _, c in used)
    t, intro = pick_phrase(rng, [
        f"Please summarise `{src}` by {col}.",
        f"I need the {topic} in `{src}` totalled per {col}.",
        f"Can you crunch `{src}` for me? I want one line per {col}.",
    ])
    rules = [
        f"Write `{out_csv}` with the header `{col},count,total`: one row per {col}, the number of rows and the sum "
        "of `amount` with exactly two decimals, sorted by total (largest first; equal totals by name).",
        f"{col.capitalize()} names are not written consistently (case, stray spaces): trim them and write them in "
        "title case (`north` -> `North`).",
        "Skip rows whose amount is not a plain number (empty, `n/a`, text, a comma as decimal separator) and "
        "ignore blank lines.",
        f"Also write `{out_json}`: an object with `rows_used` (int), `rows_skipped` (int) and `grand_total` "
        "(a number, 2 decimals).",
        leave_alone(rng, [src]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"csv": out_csv, "json": out_json, "col": col, "table": [[r[0], str(r[1]), r[2]] for r in table],
           "rows_used": len(used), "rows_skipped": bad, "grand_total": "%d.%02d" % divmod(grand, 100)}
    return Built(instruction, {src: "".join(lines)}, exp, {"src": src, "col": col, "csv": out_csv,
                                                           "json": out_json}, t)


CSV_CHECK = script("csv_group_summary_check")

CSV_SOLVE = script("csv_group_summary_solve")


def _mutate_csv(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    lines = files[e["csv"]].decode().splitlines(keepends=True)
    out["row_missing"] = {**files, e["csv"]: "".join(lines[:-1]).encode()}
    cells = lines[1].rstrip("\n").split(",")
    cells[2] = "%.2f" % (float(cells[2]) + 1)
    out["wrong_total"] = {**files, e["csv"]: "".join([lines[0], ",".join(cells) + "\n", *lines[2:]]).encode()}
    if len(lines) > 2:
        out["wrong_order"] = {**files, e["csv"]: "".join([lines[0], lines[2], lines[1], *lines[3:]]).encode()}
    d = json.loads(files[e["json"]])
    d["rows_skipped"] += 1
    out["wrong_skip_count"] = {**files, e["json"]: dumps(d).encode()}
    f2 = dict(files)
    f2[e["csv"].rsplit("/", 1)[0] + "/totals.csv"] = f2.pop(e["csv"])
    out["wrong_file_name"] = f2
    return out


CSV_SUMMARY = Family(
    name="csv_group_summary", category="data analysis", subcategory="aggregation and reporting",
    title="Total a messy CSV by group",
    description="Group a CSV by a column (messy names, malformed amounts, blank lines), write totals and stats.",
    knobs={"rows": (8, 25, 60), "groups": (2, 4, 6), "malformed": (0, 2, 5), "messy_names": (False, True, True),
           "blank_lines": (False, False, True)},
    build=_build_csv, check_body=CSV_CHECK, solver=CSV_SOLVE, mutate=_mutate_csv, tags=("csv", "aggregation"))


# ---------------------------------------------------------------------------------------------
# json_filter_report

CATS = ["garden", "kitchen", "office", "toys", "outdoor", "bathroom", "lighting"]


def _build_filter(rng: random.Random, k: dict[str, Any]) -> Built:
    cats = rng.sample(CATS, k["categories"] + 1)
    wanted = sorted(cats[: max(1, k["categories"] // 2)])
    threshold = rng.choice([5, 10, 12, 15, 20])
    target = threshold * rng.choice([3, 4, 5])
    names = unique_words(rng, k["items"])
    items, picked = [], []
    for i, n in enumerate(names):
        item = {"sku": f"SKU-{rng.randint(1000, 9999)}{i:02d}", "name": f"{n.title()} {rng.choice(['Pot', 'Lamp', 'Tray', 'Box', 'Set'])}",
                "category": rng.choice(cats), "stock": rng.choice([rng.randint(0, threshold * 3), threshold]),
                "unit_cost": round(rng.randint(99, 9999) / 100, 2), "discontinued": False}
        if k["edge_cases"] and rng.random() < 0.2:
            item["discontinued"] = True
        items.append(item)
    if not any(it["category"] in wanted and it["stock"] < threshold and not it["discontinued"] for it in items):
        items[0].update(category=wanted[0], stock=threshold - 1, discontinued=False)
    for it in items:
        if it["category"] in wanted and it["stock"] < threshold and not it["discontinued"]:
            qty = target - it["stock"]
            picked.append({"sku": it["sku"], "name": it["name"], "stock": it["stock"], "order_qty": qty})
    picked.sort(key=lambda x: x["sku"])
    cost = sum(Decimal(str(it["unit_cost"])) * (target - it["stock"]) for it in items
               if it["category"] in wanted and it["stock"] < threshold and not it["discontinued"])
    src = rng.choice(["data/inventory.json", "shop/products.json"])
    out = rng.choice(["output/reorder.json", "report/reorder_list.json"])
    t, intro = pick_phrase(rng, [
        f"Time to restock. Look through `{src}` and work out what we need to reorder.",
        f"Please prepare a reorder list from the inventory in `{src}`.",
        f"Using `{src}`, tell me which products to reorder and what it will cost.",
    ])
    rules = [
        f"Only products in the categor{'y' if len(wanted) == 1 else 'ies'} {', '.join('`' + c + '`' for c in wanted)} count.",
        f"A product needs reordering when its `stock` is below {threshold} (strictly) and it is not `discontinued`.",
        f"Order enough to bring each such product up to {target} units: `order_qty = {target} - stock`.",
        f"Write `{out}`: an object with `count` (number of products to reorder), `items` (a list of objects with "
        "`sku`, `name`, `stock`, `order_qty`, sorted by `sku`) and `total_cost` (sum of `order_qty * unit_cost`, "
        "rounded to 2 decimals).",
        leave_alone(rng, [src]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"out": out, "items": picked, "total_cost": "%.2f" % cost}
    return Built(instruction, {src: dumps(items)}, exp,
                 {"src": src, "out": out, "wanted": wanted, "threshold": threshold, "target": target}, t)


FILTER_CHECK = script("json_filter_report_check")

FILTER_SOLVE = script("json_filter_report_solve")


def _mutate_filter(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    d = json.loads(files[e["out"]])
    out = {}
    v = json.loads(files[e["out"]])
    v["items"][0]["order_qty"] += 1
    out["wrong_qty"] = {**files, e["out"]: dumps(v).encode()}
    v = json.loads(files[e["out"]])
    v["items"].append({"sku": "SKU-0000", "name": "Extra", "stock": 0, "order_qty": 1})
    out["extra_item"] = {**files, e["out"]: dumps(v).encode()}
    v = dict(d, total_cost=round(d["total_cost"] + 1, 2))
    out["wrong_cost"] = {**files, e["out"]: dumps(v).encode()}
    v = dict(d, items=list(reversed(d["items"])))
    if v != d:
        out["unsorted"] = {**files, e["out"]: dumps(v).encode()}
    v = dict(d, count=d["count"] + 1)
    out["wrong_count"] = {**files, e["out"]: dumps(v).encode()}
    return out


JSON_FILTER = Family(
    name="json_filter_report", category="data analysis", subcategory="filtering and reporting",
    title="Build a reorder list from an inventory JSON",
    description="Filter records by category, threshold and a flag; compute quantities and a cost total.",
    knobs={"items": (6, 15, 30), "categories": (2, 3, 5), "edge_cases": (False, True, True)},
    build=_build_filter, check_body=FILTER_CHECK, solver=FILTER_SOLVE, mutate=_mutate_filter, tags=("json", "filter"))


# ---------------------------------------------------------------------------------------------
# log_error_triage

SERVICES = ["payments", "auth", "search", "billing", "mailer", "api", "scheduler", "storage"]
MESSAGES = ["connection reset by peer", "timeout after 30s", "database is locked", "upstream returned 502",
            "invalid token signature", "disk quota exceeded", "null reference in handler", "rate limit exceeded"]


def _build_logs(rng: random.Random, k: dict[str, Any]) -> Built:
    services = rng.sample(SERVICES, k["services"])
    day = "2024-%02d-%02d" % (rng.randint(1, 12), rng.randint(2, 27))
    prev = day[:-2] + "%02d" % (int(day[-2:]) - 1)
    start_h = rng.choice([0, 6, 8, 9])
    msgs = rng.sample(MESSAGES, 4)
    weights = [5, 3, 2, 1]
    lines: list[tuple[str, str]] = []
    counts: dict[str, list] = {}
    msg_counts: dict[str, int] = {}
    secs = sorted(rng.sample(range(0, 86400), k["lines"]))
    for s in secs:
        ts = f"{day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        svc = rng.choice(services)
        level = rng.choices(["INFO", "WARN", "ERROR", "DEBUG"], [5, 2, 3, 1])[0]
        if level == "ERROR":
            msg = rng.choices(msgs, weights)[0]
            line = f"{ts} ERROR [{svc}] {msg}"
            if s >= start_h * 3600:
                c = counts.setdefault(svc, [0, ts[11:]])
                c[0] += 1
                msg_counts[msg] = msg_counts.get(msg, 0) + 1
            lines.append((ts, line))
            if k["tracebacks"] and rng.random() < 0.3:
                lines.append((ts, "    Traceback (most recent call last):"))
                lines.append((ts, f"    ERROR raised in {svc}.handler: {rng.choice(msgs)}"))
        elif level == "INFO" and k["decoys"] and rng.random() < 0.3:
            lines.append((ts, f"{ts} INFO [{svc}] recovered after ERROR: {rng.choice(msgs)}"))
        else:
            lines.append((ts, f"{ts} {level} [{svc}] {rng.choice(['ok', 'request served', 'cache warm', 'retrying'])}"))
    if k["decoys"]:
        for _ in range(3):
            s = rng.randrange(86400)
            lines.insert(0, ("", f"{prev} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} ERROR [{rng.choice(services)}] "
                                 f"{rng.choice(msgs)}"))
        lines.sort(key=lambda x: x[1][:19] if x[0] == "" else x[0])
    if not counts:  # make sure there is something to find
        svc = services[0]
        ts = f"{day} 23:59:59"
        lines.append((ts, f"{ts} ERROR [{svc}] {msgs[0]}"))
        counts[svc] = [1, "23:59:59"]
        msg_counts[msgs[0]] = 1
    top = max(msg_counts.values())
    if list(msg_counts.values()).count(top) > 1:  # break a tie on the most common message with one more error
        winner = sorted(m for m, c in msg_counts.items() if c == top)[0]
        svc = services[0]
        ts = f"{day} 23:59:59"
        lines.append((ts, f"{ts} ERROR [{svc}] {winner}"))
        counts.setdefault(svc, [0, "23:59:59"])[0] += 1
        msg_counts[winner] += 1
    top_msg = max(msg_counts, key=msg_counts.get)
    table = sorted(([s, str(c[0]), c[1]] for s, c in counts.items()), key=lambda r: (-int(r[1]), r[0]))
    log = rng.choice(["logs/app.log", "var/log/service.log", "logs/combined.log"])
    out_csv = rng.choice(["output/errors_by_service.csv", "triage/errors.csv"])
    out_txt = out_csv.rsplit("/", 1)[0] + "/top_error.txt"
    t, intro = pick_phrase(rng, [
        f"We had a rough day on {day}. Please triage the errors in `{log}`.",
        f"Go through `{log}` and summarise the errors from {day} for the incident review.",
        f"I need an error breakdown per service from `{log}` (the log of {day} and a bit of the day before).",
    ])
    rules = [
        f"Count only `ERROR` lines of {day} from {start_h:02d}:00:00 on (inclusive); earlier lines and other days "
        "do not count.",
        "An error line looks like `YYYY-MM-DD HH:MM:SS ERROR [service] message`. Indented continuation lines "
        "(tracebacks) and lines of other levels that merely mention ERROR are not error lines.",
        f"Write `{out_csv}` with the header `service,errors,first_seen`: one row per service with at least one "
        "counted error, its number of errors and the time (`HH:MM:SS`) of its first counted error, sorted by "
        "errors (most first; ties by service name).",
        f"Write `{out_txt}` containing just the most frequent counted error message (the text after `] `).",
        leave_alone(rng, [log]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    body = "\n".join(x[1] for x in lines) + "\n"
    exp = {"csv": out_csv, "txt": out_txt, "table": table, "top": top_msg}
    return Built(instruction, {log: body}, exp, {"log": log, "day": day, "start": f"{start_h:02d}:00:00",
                                                 "csv": out_csv, "txt": out_txt}, t)


LOG_CHECK = script("log_error_triage_check")

LOG_SOLVE = script("log_error_triage_solve")


def _mutate_logs(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    lines = files[e["csv"]].decode().splitlines(keepends=True)
    out["service_missing"] = {**files, e["csv"]: "".join(lines[:-1]).encode()}
    r = lines[1].rstrip("\n").split(",")
    out["count_off_by_one"] = {**files, e["csv"]: "".join([lines[0], f"{r[0]},{int(r[1]) + 1},{r[2]}\n", *lines[2:]]).encode()}
    out["wrong_first_seen"] = {**files, e["csv"]: "".join([lines[0], f"{r[0]},{r[1]},00:00:00\n", *lines[2:]]).encode()}
    out["wrong_top_message"] = {**files, e["txt"]: b"something else\n"}
    return out


LOG_TRIAGE = Family(
    name="log_error_triage", category="data analysis", subcategory="log triage",
    title="Triage application errors per service",
    description="Count ERROR lines per service in a time window (tracebacks, decoys, other days), top message.",
    knobs={"lines": (20, 60, 150), "services": (2, 4, 6), "tracebacks": (False, True, True),
           "decoys": (False, True, True)},
    build=_build_logs, check_body=LOG_CHECK, solver=LOG_SOLVE, mutate=_mutate_logs, tags=("logs", "csv"))


# ---------------------------------------------------------------------------------------------
# access_log_report (held out)

PATHS = ["/", "/login", "/api/items", "/api/cart", "/search", "/checkout", "/static/app.js", "/api/user",
         "/healthz", "/docs"]


def _build_access(rng: random.Random, k: dict[str, Any]) -> Built:
    ips = [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(k["clients"])]
    paths = rng.sample(PATHS, 6)
    lines, total, statuses, err_paths = [], 0, {}, {}
    seen_ips = set()
    for i in range(k["requests"]):
        ip = rng.choice(ips)
        path = rng.choice(paths)
        shown = path + (f"?q={rng.randint(1, 99)}" if k["query_strings"] and rng.random() < 0.3 else "")
        status = rng.choices([200, 201, 301, 304, 404, 500, 502, 503], [30, 3, 3, 4, 5, 3, 2, 2])[0]
        ts = "%02d/Mar/2024:%02d:%02d:%02d +0000" % (rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        lines.append(f'{ip} - - [{ts}] "{rng.choice(["GET", "POST"])} {shown} HTTP/1.1" {status} {rng.randint(120, 9000)}')
        total += 1
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        seen_ips.add(ip)
        if status >= 500:
            err_paths[path] = err_paths.get(path, 0) + 1
    for _ in range(k["malformed"]):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["-- log rotated --", "GET /broken", "\x00garbage"]))
    if not err_paths:
        ip, path = ips[0], paths[0]
        lines.append(f'{ip} - - [01/Mar/2024:00:00:01 +0000] "GET {path} HTTP/1.1" 500 321')
        total += 1
        statuses["500"] = statuses.get("500", 0) + 1
        err_paths[path] = 1
        seen_ips.add(ip)
    top = sorted(err_paths.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    n5 = sum(v for s, v in statuses.items() if s.startswith("5"))
    log = rng.choice(["logs/access.log", "nginx/access.log"])
    out = rng.choice(["output/traffic.json", "report/access_summary.json"])
    t, intro = pick_phrase(rng, [
        f"Summarise the web traffic in `{log}` for me.",
        f"Please analyse the access log `{log}`; I want a few numbers about last month.",
        f"Read `{log}` (combined log format) and produce a traffic report.",
    ])
    rules = [
        "Lines that are not valid access-log entries (no quoted request, no status) are skipped and not counted.",
        "A request's path is the path without its query string (`/search?q=1` is `/search`).",
        f"Write `{out}`, an object with: `total_requests` (int), `unique_clients` (number of distinct IPs), "
        "`status_counts` (an object from status code as a string to its count), `server_error_rate` (percentage of "
        "requests with a 5xx status, rounded to 2 decimals) and `top_error_paths` (up to 3 paths with the most 5xx "
        "responses, most first, ties by path).",
        leave_alone(rng, [log]),
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"out": out, "total_requests": total, "unique_clients": len(seen_ips),
           "status_counts": dict(sorted(statuses.items())), "server_error_rate": round(100 * n5 / total, 2),
           "top_error_paths": [p for p, _ in top]}
    return Built(instruction, {log: "\n".join(lines) + "\n"}, exp, {"log": log, "out": out}, t)


ACCESS_CHECK = script("access_log_report_check")

ACCESS_SOLVE = script("access_log_report_solve")


def _mutate_access(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    d = json.loads(files[e["out"]])
    out = {}
    out["total_plus_one"] = {**files, e["out"]: dumps(dict(d, total_requests=d["total_requests"] + 1)).encode()}
    out["rate_as_fraction"] = {**files, e["out"]: dumps(dict(d, server_error_rate=round(d["server_error_rate"] / 100, 4))).encode()}
    sc = dict(d["status_counts"])
    sc.pop(next(iter(sc)))
    out["status_missing"] = {**files, e["out"]: dumps(dict(d, status_counts=sc)).encode()}
    out["top_paths_with_query"] = {**files, e["out"]: dumps(dict(d, top_error_paths=[p + "?q=1" for p in d["top_error_paths"]])).encode()}
    return out


ACCESS_LOG = Family(
    name="access_log_report", category="data analysis", subcategory="log triage",
    title="Summarise a web server access log",
    description="Parse combined-format access lines (malformed lines, query strings): totals, statuses, 5xx paths.",
    knobs={"requests": (15, 50, 150), "clients": (3, 8, 20), "malformed": (0, 2, 5), "query_strings": (False, True, True)},
    build=_build_access, check_body=ACCESS_CHECK, solver=ACCESS_SOLVE, mutate=_mutate_access, tags=("logs", "json"))

FAMILIES = [CSV_SUMMARY, JSON_FILTER, LOG_TRIAGE, ACCESS_LOG]
