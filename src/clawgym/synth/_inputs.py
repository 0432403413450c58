"""Inputs of the persona route: personas, the category taxonomy, the atomic operations, and the
seeded stratified sampling that turns them into task specs.

Sampling is balanced and prefix-stable: record i's category comes from a fresh seeded
permutation of the categories every len(categories) records (so any window of that length holds
each category once), its subcategory cycles through a seeded permutation of its category's
subcategories, its persona through a seeded permutation of the personas, and its operations are
drawn only from the groups its category lists as compatible. Asking for more records later
gives the same first records, so a dataset can grow batch by batch.
"""

from __future__ import annotations

import hashlib
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from clawgym.errors import ClawGymError


class SynthInputError(ClawGymError):
    """An input file (personas, taxonomy, operations) is invalid: file, where, why."""


class Persona(BaseModel):
    id: str
    text: str = Field(min_length=1)


class Category(BaseModel):
    name: str = Field(min_length=1)
    subcategories: list[str] = Field(min_length=1)
    operation_groups: list[str] = Field(default_factory=list, description="Compatible group ids; empty = all.")


class OperationGroup(BaseModel):
    id: str
    name: str
    needs_internet: bool = False
    operations: list[str] = Field(min_length=1)


class TaskSpec(BaseModel):
    """What one record is asked to be: the sampled persona, subcategory and operations, and the
    seed every later stage derives its own from."""

    record_id: str
    index: int
    seed: int
    persona_id: str
    persona: str
    category: str
    subcategory: str
    operations: list[str]


def _data(name: str) -> Path:
    return Path(str(resources.files("clawgym.synth") / "data" / name))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SynthInputError(f"{path}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise SynthInputError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from exc


PERSONA_FIELDS = ("persona", "input persona", "description", "text")


def load_personas(path: str | Path | None = None) -> list[Persona]:
    """Personas from a PersonaHub-style JSONL (`persona`, or `input persona` / `description` /
    `text`; optional `id`), or the shipped set."""
    path = Path(path) if path else _data("personas.jsonl")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SynthInputError(f"{path}: cannot read ({exc.strerror})") from exc
    out: list[Persona] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SynthInputError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        text = next((obj[k] for k in PERSONA_FIELDS if isinstance(obj, dict) and isinstance(obj.get(k), str)
                     and obj[k].strip()), None)
        if text is None:
            raise SynthInputError(f"{path}:{n}: no persona text; give a non-empty `persona` field")
        pid = str(obj.get("id") or obj.get("uuid") or "h" + hashlib.sha256(text.encode()).hexdigest()[:10])
        if pid in seen:
            raise SynthInputError(f"{path}:{n}: persona id {pid!r} appears twice")
        seen.add(pid)
        out.append(Persona(id=pid, text=text.strip()))
    if not out:
        raise SynthInputError(f"{path}: holds no personas")
    return out


def load_taxonomy(path: str | Path | None = None) -> list[Category]:
    """Categories with their subcategories: our `{"categories": [...]}` or ClawGym's
    `category2.json` list of `{"category", "subcategories"}`."""
    path = Path(path) if path else _data("taxonomy.json")
    raw = _read_json(path)
    items = raw.get("categories") if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not items:
        raise SynthInputError(f"{path}: expected a list of categories (or {{\"categories\": [...]}})")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and "name" not in item and "category" in item:
            item = {**item, "name": item["category"]}
        try:
            out.append(Category.model_validate(item))
        except ValidationError as exc:
            raise SynthInputError(f"{path} [categories[{i}]]: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") \
                from exc
    return out


def load_operations(path: str | Path | None = None) -> list[OperationGroup]:
    """Atomic operation groups: our `{"groups": [...]}` or ClawGym's `action2-remove.json`
    (`{"category", "actions"}`; Internet groups are recognised by name)."""
    path = Path(path) if path else _data("operations.json")
    raw = _read_json(path)
    items = raw.get("groups") if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not items:
        raise SynthInputError(f"{path}: expected a list of operation groups (or {{\"groups\": [...]}})")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and "actions" in item:
            name = str(item.get("category", f"group{i}"))
            item = {"id": name, "name": name, "operations": item["actions"],
                    "needs_internet": "web" in name.lower() or "internet" in name.lower()}
        try:
            out.append(OperationGroup.model_validate(item))
        except ValidationError as exc:
            raise SynthInputError(f"{path} [groups[{i}]]: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") \
                from exc
    return out


def derive_seed(seed: int, *parts: Any) -> int:
    """A 31-bit seed from a run seed and a path (record index, stage, vote...)."""
    blob = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "big") & 0x7FFFFFFF


def sample_specs(personas: list[Persona], taxonomy: list[Category], operations: list[OperationGroup], n: int, *,
                 seed: int = 0, ops_per_task: tuple[int, int] = (2, 3), allow_internet: bool = False) -> list[TaskSpec]:
    """n task specs, stratified over categories (see the module docstring)."""
    if n < 0:
        raise ValueError("n cannot be negative")
    lo, hi = ops_per_task
    if not 1 <= lo <= hi:
        raise ValueError(f"ops_per_task must be 1 <= low <= high, got {ops_per_task}")
    groups = {g.id: g for g in operations if allow_internet or not g.needs_internet}
    if not groups:
        raise SynthInputError("no operation group is usable (all need the Internet); pass allow_internet")
    sub_orders: dict[str, list[str]] = {}
    sub_counts: dict[str, int] = {}
    cat_order: list[Category] = []
    persona_order: list[Persona] = []
    specs = []
    for i in range(n):
        if i % len(taxonomy) == 0:
            cat_order = list(taxonomy)
            random.Random(derive_seed(seed, "categories", i // len(taxonomy))).shuffle(cat_order)
        if i % len(personas) == 0:
            persona_order = list(personas)
            random.Random(derive_seed(seed, "personas", i // len(personas))).shuffle(persona_order)
        cat = cat_order[i % len(taxonomy)]
        k = sub_counts.get(cat.name, 0)
        if k % len(cat.subcategories) == 0:
            order = list(cat.subcategories)
            random.Random(derive_seed(seed, "subcategories", cat.name, k // len(cat.subcategories))).shuffle(order)
            sub_orders[cat.name] = order
        sub_counts[cat.name] = k + 1
        sub = sub_orders[cat.name][k % len(cat.subcategories)]
        rng = random.Random(derive_seed(seed, "operations", i))
        compatible = [groups[g] for g in cat.operation_groups if g in groups] or list(groups.values())
        pool = sorted({op for g in compatible for op in g.operations})
        ops = rng.sample(pool, min(len(pool), rng.randint(lo, hi)))
        persona = persona_order[i % len(personas)]
        specs.append(TaskSpec(record_id=f"{i:05d}", index=i, seed=derive_seed(seed, "record", i),
                              persona_id=persona.id, persona=persona.text, category=cat.name,
                              subcategory=sub, operations=ops))
    return specs
