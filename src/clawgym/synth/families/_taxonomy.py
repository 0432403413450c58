"""Where each family sits in ClawGym's task taxonomy (the persona route's 11 categories and their
subcategories, `synth/data/taxonomy.json`), so coverage can be counted and gaps seen.

Newer families name a taxonomy category and subcategory themselves; the first fifteen use their
own coarser labels, mapped here once. A family that is in neither raises, so a new family cannot
silently fall outside the table.
"""

from __future__ import annotations

from clawgym.synth.families._base import Family

#: (category, subcategory) in the taxonomy for families whose own labels predate it.
MAPPED: dict[str, tuple[str, str]] = {
    "sort_by_extension": ("Planning and Knowledge Organization", "memory and knowledge organization"),
    "dedupe_files": ("Systems and Infrastructure", "device and system control"),
    "batch_rename": ("Automation and Workflows", "automated inspection and handling"),
    "csv_group_summary": ("Analysis and Decision Support", "data analysis and calculation"),
    "json_filter_report": ("Analysis and Decision Support", "classification, ranking, and scoring"),
    "log_error_triage": ("Systems and Infrastructure", "incident response and reliability"),
    "access_log_report": ("Systems and Infrastructure", "system status inspection"),
    "ini_config_edit": ("Systems and Infrastructure", "environment configuration and deployment"),
    "json_config_merge": ("Systems and Infrastructure", "environment configuration and deployment"),
    "fix_function_bug": ("Software Development", "debugging and issue fixing"),
    "meeting_slots": ("Messaging and Collaboration", "meeting coordination and scheduling"),
    "invoice_due_dates": ("Office and Daily Tasks", "schedule and task management"),
    "order_email": ("Content and External Communication", "email and communication writing"),
    "ticket_replies": ("Messaging and Collaboration", "message and email handling"),
    "cleanup_script": ("Automation and Workflows", "scheduled task execution"),
}


def taxonomy() -> dict[str, list[str]]:
    """Category name -> its subcategories, in the taxonomy file's order."""
    from clawgym.synth._inputs import load_taxonomy

    return {c.name: list(c.subcategories) for c in load_taxonomy()}


def place(family: Family, tax: dict[str, list[str]] | None = None) -> tuple[str, str]:
    """The family's (category, subcategory) in the taxonomy."""
    tax = tax if tax is not None else taxonomy()
    if family.category in tax:
        if family.subcategory not in tax[family.category]:
            raise ValueError(f"family {family.name!r}: subcategory {family.subcategory!r} is not one of "
                             f"{family.category!r}'s ({', '.join(tax[family.category])}); fix the Family record")
        return family.category, family.subcategory
    if family.name in MAPPED:
        return MAPPED[family.name]
    raise ValueError(f"family {family.name!r} has category {family.category!r}, which is not in the taxonomy; "
                     f"use one of {', '.join(tax)} or add it to MAPPED in {__name__}")


def coverage(families: dict[str, Family]) -> dict[str, list[tuple[str, str]]]:
    """Taxonomy category -> [(family, subcategory)], every category present (empty when uncovered)."""
    tax = taxonomy()
    out: dict[str, list[tuple[str, str]]] = {c: [] for c in tax}
    for f in families.values():
        cat, sub = place(f, tax)
        out[cat].append((f.name, sub))
    return out


def coverage_table(families: dict[str, Family]) -> str:
    """A plain-text table: category, number of families, subcategories covered, family names."""
    tax = taxonomy()
    rows = [("category", "families", "subcategories", "names")]
    for cat, fams in coverage(families).items():
        subs = sorted({s for _, s in fams})
        rows.append((cat, str(len(fams)), f"{len(subs)}/{len(tax[cat])}", ", ".join(sorted(n for n, _ in fams))))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows)
