"""Professional-domain families: contract renewals and notice deadlines from vendor agreements (a
table plus a memo for the general counsel, with a rubric for the memo); an access review of a user
export against a written security policy (findings by rule code)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

from clawgym.synth.families._assets import (
    COMMON_CHECK, long_date, noise, pdf, person, png, request, rubric, sha, us_date, without, zip_bytes,
)
from clawgym.synth.families._base import FIRST_NAMES, LAST_NAMES, Built, Family, pick_phrase, script

VENDORS = ["Acme Cloud", "Brightdesk", "Cobalt Payroll", "Dataloft", "Everstream", "Fernway Cleaning",
           "Granite Security", "Helix Analytics", "Ironleaf Legal", "Juniper Telecom", "Kestrel Print",
           "Lumen Facilities", "Meridian Travel", "Northwind Catering", "Orbit Software", "Pinecrest Insurance"]
SERVICES = ["cloud hosting", "helpdesk software", "payroll services", "data warehousing", "video streaming",
            "office cleaning", "security guarding", "analytics", "legal research", "phone lines", "printing",
            "facilities management", "travel booking", "catering", "CRM licences", "insurance brokerage"]


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, d.day)


def _fmt(rng: random.Random, d: dt.date) -> str:
    return rng.choice([d.isoformat(), long_date(d), us_date(d)])


def _build_renewals(rng: random.Random, k: dict[str, Any]) -> Built:
    today = dt.date(2025, rng.randint(1, 12), rng.randint(1, 28))
    window = k["window"]
    picks = rng.sample(range(len(VENDORS)), k["contracts"])
    ws: dict[str, bytes | str] = {}
    due = []
    for n, i in enumerate(picks):
        vendor, service = VENDORS[i], SERVICES[i]
        initial = rng.choice([12, 24, 36])
        notice = rng.choice([30, 60, 90])
        auto = n == 0 or rng.random() < 0.7
        # the first contract is made to fall inside the window, the rest land anywhere
        if n == 0:
            renew_on = today + dt.timedelta(days=rng.randint(5, window))
            eff = _add_months(dt.date(renew_on.year, renew_on.month, min(renew_on.day, 28)), -initial - 12 * rng.randint(0, 2))
        else:
            eff = dt.date(rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28))
        fee = rng.randint(12, 480) * 100
        renewal = _add_months(eff, initial)
        while renewal <= today:
            renewal = _add_months(renewal, 12)
        clause = (f"The agreement runs for an initial term of {initial} months from the Effective Date and then renews "
                  f"automatically for successive periods of 12 months. Either party may prevent a renewal by written "
                  f"notice received at least {notice} days before the renewal date." if auto else
                  f"The agreement runs for {initial} months from the Effective Date and ends then; it does not renew "
                  f"unless both parties sign an extension.")
        slug = vendor.lower().replace(" ", "-")
        ext = rng.choice(["md", "md", "txt"])
        body = [f"# Services agreement: {vendor}", "", f"Between Northgate Ltd (the Customer) and {vendor} (the Supplier).",
                "", f"1. Services. The Supplier provides {service}.", f"2. Effective Date: {_fmt(rng, eff)}.",
                f"3. Term. {clause}", f"4. Fees. EUR {fee:,} per year, invoiced quarterly in advance.",
                "5. Governing law. The laws of Ireland.", ""]
        ws[f"contracts/{slug}.{ext}"] = "\n".join(body)
        if rng.random() < 0.5:
            ws[f"contracts/signed/{slug}-signed.pdf"] = pdf([f"Services agreement {vendor}", "Signed copy"])
        if auto and today < renewal <= today + dt.timedelta(days=window):
            due.append([vendor, renewal.isoformat(), (renewal - dt.timedelta(days=notice)).isoformat(), fee])
    draft_vendors = []
    if k["drafts"]:
        v = VENDORS[rng.choice([i for i in range(len(VENDORS)) if i not in picks])]
        draft_vendors.append(v)
        ws[f"contracts/drafts/{v.lower().replace(' ', '-')}-DRAFT.md"] = (
            f"# DRAFT, not signed: services agreement {v}\n\nEffective Date: {_fmt(rng, today - dt.timedelta(days=300))}.\n"
            f"The agreement runs for an initial term of 12 months and then renews automatically for successive periods "
            f"of 12 months. Either party may prevent a renewal by written notice received at least 30 days before the "
            f"renewal date.\n")
    ws["contracts/README.txt"] = "Signed agreements in force. Scans of the signatures in signed/, drafts in drafts/.\n"
    ws["contracts/logo.png"] = png(rng, 12, 12)
    ws.update(noise(rng, k["noise"], avoid=("contracts/", "legal/")))
    if not due:
        raise AssertionError("the first contract always renews inside the window")
    due.sort(key=lambda r: (r[2], r[0]))
    table = "legal/renewals.csv"
    memo = rng.choice(["legal/renewals-memo.md", "legal/memo-to-gc.md"])
    gc = person(rng)
    t, intro = pick_phrase(rng, [
        f"Which of our vendor contracts renew automatically in the next {window} days (from {long_date(today)})? "
        f"The agreements are in `contracts/`.",
        f"{gc.split()[0]} wants to know what's about to auto-renew. Please go through `contracts/` and find every "
        f"agreement that renews within {window} days of today, {today.isoformat()}.",
        f"Renewal check, please: as of {us_date(today)}, which contracts in `contracts/` will renew by themselves in "
        f"the next {window} days, and by when do we have to give notice?",
    ])
    asks = [
        f"Put them in `{table}` with columns `vendor,renewal_date,notice_deadline,annual_fee` (dates as YYYY-MM-DD), "
        "soonest notice deadline first. The renewal date is the day the next term would start.",
        f"Write a short memo to {gc} (our general counsel) in `{memo}`: which contracts, their notice deadlines, and the "
        "total annual fees at stake.",
        "Drafts aren't signed, so they don't count.",
    ]
    instruction = request(rng, intro, asks)
    inputs = sorted(p for p in ws if p.startswith("contracts/") and p.endswith((".md", ".txt")) and "/drafts/" not in p)
    exp = {"table": table, "memo": memo, "due": due, "total": sum(r[3] for r in due),
           "others": [VENDORS[i] for i in picks if VENDORS[i] not in {r[0] for r in due}] + draft_vendors,
           "inputs": inputs, "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    rub = rubric(memo, f"A memo to the general counsel ({gc}) on contracts that renew automatically within {window} "
                       f"days of {today.isoformat()}.", [
        ("actionable", "no clear deadlines or no recommendation of what to decide",
         "each contract's notice deadline is clear and the memo says what needs deciding first"),
        ("accurate", "states a contract, date or fee that the agreements do not support",
         "every contract, date and amount matches the agreements"),
        ("professional_tone", "casual, padded or unclear", "brief, precise, suitable for a lawyer"),
    ])
    params = {"today": today.isoformat(), "window": window, "table": table, "memo": memo, "gc": gc}
    return Built(instruction, ws, exp, params, t, rubric=rub, weights=(0.8, 0.2))


RENEWALS_CHECK = COMMON_CHECK + "\n" + script("contract_renewals_check")

RENEWALS_SOLVE = script("contract_renewals_solve")


def _mutate_renewals(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    lines = files[e["table"]].decode().splitlines()
    out: dict[str, dict[str, bytes]] = {}
    d = e["due"][0]
    wrong = (dt.date.fromisoformat(d[2]) + dt.timedelta(days=1)).isoformat()
    out["deadline_off_by_one"] = {**files, e["table"]: files[e["table"]].decode().replace(d[2], wrong).encode()}
    out["contract_missing"] = {**files, e["table"]: "\n".join(lines[:-1]).encode()}
    if e["others"]:
        extra = f"\n{e['others'][0]},2099-01-01,2098-11-01,100\n"
        out["non_renewing_listed"] = {**files, e["table"]: ("\n".join(lines) + extra).encode()}
    m = files[e["memo"]].decode()
    out["memo_misses_a_contract"] = {**files, e["memo"]: "\n".join(ln for ln in m.splitlines() if d[0] not in ln).encode()}
    out["contract_deleted"] = without(files, e["inputs"][0])
    return out


RENEWALS = Family(
    name="contract_renewals", category="Professional Domain Support", subcategory="legal and compliance review",
    title="Find auto-renewing contracts and their notice deadlines",
    description="Vendor agreements with effective dates in three spellings, initial terms, notice periods, some not "
                "renewing, drafts and signed scans; a sorted table of renewals in the window and a memo (rubric).",
    knobs={"contracts": (4, 8, 14), "window": (90, 90, 120), "drafts": (False, True, True), "noise": (6, 12, 22)},
    build=_build_renewals, check_body=RENEWALS_CHECK, solver=RENEWALS_SOLVE, mutate=_mutate_renewals,
    tags=("legal", "dates", "rubric"))


# ---------------------------------------------------------------------------------------------
# access_review

CODES = {"ADMIN_NO_MFA": "Active admin accounts must have MFA turned on.",
         "INACTIVE": "Active accounts with no login for more than {days} days must be disabled.",
         "CONTRACTOR_EXPIRED": "Contractor accounts must be disabled once the contract end date has passed.",
         "STALE_KEY": "API keys older than {key_days} days must be rotated (a finding on the key id)."}


def _build_access(rng: random.Random, k: dict[str, Any]) -> Built:
    today = dt.date(2025, rng.randint(1, 12), rng.randint(1, 28))
    days, key_days = rng.choice([60, 90]), rng.choice([180, 365])
    users, findings, used = [], [], set()
    for _ in range(k["users"]):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first[0].lower()}{last.lower()}"
        while name in used:
            name += str(rng.randint(1, 9))
        used.add(name)
        role = rng.choice(["member", "member", "member", "admin", "contractor"])
        status = "disabled" if rng.random() < 0.15 else "active"
        mfa = "on" if rng.random() < 0.7 else "off"
        last_login = today - dt.timedelta(days=rng.choice([rng.randint(0, days), rng.randint(days + 1, 400)]))
        end = (today + dt.timedelta(days=rng.randint(-120, 200))).isoformat() if role == "contractor" else ""
        users.append([name, f"{first} {last}", f"{name}@northgate.example", role, mfa, last_login.isoformat(), status, end])
        if status == "active":
            if role == "admin" and mfa == "off":
                findings.append([name, "ADMIN_NO_MFA"])
            if (today - last_login).days > days:
                findings.append([name, "INACTIVE"])
            if role == "contractor" and end < today.isoformat():
                findings.append([name, "CONTRACTOR_EXPIRED"])
    keys = []
    for i in range(k["keys"]):
        owner = rng.choice([u for u in users if u[6] == "active"] or users)[0]
        created = today - dt.timedelta(days=rng.randint(10, 2 * key_days))
        kid = f"key_{rng.getrandbits(32):08x}"
        keys.append([kid, owner, created.isoformat(), (today - dt.timedelta(days=rng.randint(0, 30))).isoformat()])
        if (today - created).days > key_days:
            findings.append([kid, "STALE_KEY"])
    if not findings:  # a review with nothing to find teaches nothing
        users[0][3:7] = ["admin", "off", today.isoformat(), "active"]
        users[0][7] = ""
        findings.append([users[0][0], "ADMIN_NO_MFA"])
    findings.sort()

    def table(head, rows):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)
        return buf.getvalue()

    policy = "# Access policy\n\nReviewed quarterly by the security team. Report each breach with its code:\n\n" + \
        "\n".join(f"- `{c}`: {r.format(days=days, key_days=key_days)}" for c, r in CODES.items()) + \
        "\n\nDisabled accounts are out of scope.\n"
    ws: dict[str, bytes | str] = {
        "exports/users.csv": table(["username", "full_name", "email", "role", "mfa", "last_login", "status",
                                    "contract_end"], users),
        "exports/api_keys.csv": table(["key_id", "owner", "created", "last_used"], keys),
        "policy/access-policy.md": policy,
        "exports/previous-review.zip": zip_bytes({"findings-2024.csv": "subject,finding\nold_account,INACTIVE\n"}),
        "exports/sso-dashboard.png": png(rng, 24, 14),
        "policy/iso27001-summary.pdf": pdf(["ISO 27001 summary", "Access control A.9"]),
    }
    ws.update(noise(rng, k["noise"], avoid=("exports/", "policy/", "review/")))
    out = rng.choice(["review/findings.csv", f"review/access-review-{today.isoformat()}.csv"])
    t, intro = pick_phrase(rng, [
        f"Time for the quarterly access review. Can you check the exports in `exports/` against "
        f"`policy/access-policy.md` as of today ({today.isoformat()})?",
        f"Please audit our accounts and API keys (`exports/`) against the access policy, as of {long_date(today)}.",
        f"Security asked for an access review as of {us_date(today)}. Exports are in `exports/`, the policy in `policy/`.",
    ])
    asks = [f"Write every breach to `{out}` as rows of `subject,finding` (subject: the username, or the key id for "
            "keys; finding: the policy's code).",
            "Just report; don't change the exports."]
    instruction = request(rng, intro, asks)
    exp = {"out": out, "findings": findings, "inputs": ["exports/users.csv", "exports/api_keys.csv",
                                                        "policy/access-policy.md"],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items()}}
    return Built(instruction, ws, exp, {"out": out, "today": today.isoformat(), "days": days, "key_days": key_days}, t)


ACCESS_CHECK = COMMON_CHECK + "\n" + script("access_review_check")

ACCESS_SOLVE = script("access_review_solve")


def _mutate_access(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    lines = files[e["out"]].decode().splitlines()
    out: dict[str, dict[str, bytes]] = {}
    out["finding_missed"] = {**files, e["out"]: "\n".join(lines[:-1]).encode()}
    out["false_alarm"] = {**files, e["out"]: ("\n".join(lines) + "\nsomeone_else,INACTIVE\n").encode()}
    out["export_edited"] = {**files, "exports/users.csv": files["exports/users.csv"].replace(b",active,", b",disabled,")}
    return out


ACCESS = Family(
    name="access_review", category="Professional Domain Support", subcategory="security and risk assessment",
    title="Review accounts and API keys against an access policy",
    description="User and API key exports, a policy with four rule codes and thresholds, disabled accounts out of "
                "scope; every breach as subject,code and nothing else.",
    knobs={"users": (8, 16, 30), "keys": (3, 6, 12), "noise": (6, 12, 22)},
    build=_build_access, check_body=ACCESS_CHECK, solver=ACCESS_SOLVE, mutate=_mutate_access,
    tags=("security", "audit", "policy"))

FAMILIES = [RENEWALS, ACCESS]
