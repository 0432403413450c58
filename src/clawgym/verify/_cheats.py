"""The workspaces of QA's cheating probes, derived from one run of the reference solution.

A verifier is an attack surface: whatever it credits without the work, RL will find. Each
function here turns the reference workspace (path -> bytes after the reference solution ran) into
the workspaces a cheating agent would leave, and one (`format_variants`) into a second correct
answer that an over-strict verifier would wrongly fail. Nothing here runs anything: `_qa` scores
the workspaces in verification sandboxes.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field

from clawgym.tasks import Task

Files = dict[str, bytes]
MAX_TAMPERED_INPUTS = 6   # named inputs tampered one by one (x3 kinds); more are sampled evenly
MAX_OVERDO_FILES = 8      # other untouched files deleted one by one
MAX_UNIVERSAL_OTHERS = 3  # other tasks' answers tried one by one (besides their union)
GENERIC_TEXT = "Thanks for your request. Here is the result you asked for; let me know if anything is missing."


@dataclass
class ReferenceDiff:
    """What one task's reference solution did to its workspace: the files it wrote (added or
    changed) and the paths it deleted. The unit of the 'universal answer' probe."""

    task_id: str
    written: Files = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


def reference_diff(task: Task, reference: Files) -> ReferenceDiff:
    initial = {f.path: f.data for f in task.workspace}
    return ReferenceDiff(task_id=task.id, written={p: d for p, d in reference.items() if initial.get(p) != d},
                         deleted=sorted(p for p in initial if p not in reference))


def _installed(task: Task, path: str) -> bool:
    """Files of the skills a task installs (skills/<name>/...): tooling, not the user's data."""
    return any(path.startswith(f"skills/{name}/") for name in task.skills)


def named_by(instruction: str, path: str) -> bool:
    """Whether the instruction names this file: its path, its file name, or a folder above it."""
    if path in instruction or posixpath.basename(path) in instruction:
        return True
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if re.search(r"(?<![\w/.-])" + re.escape(d) + r"(?:/|(?![\w.-]))", instruction):
            return True
    return False


def untouched_inputs(task: Task, reference: Files) -> tuple[list[str], list[str]]:
    """(named, other): the workspace files the reference left exactly as they were, split by
    whether the instruction names them (the user's inputs) or not (the rest of their files).
    Installed skills are left out of both."""
    initial = {f.path: f.data for f in task.workspace}
    kept = sorted(p for p, d in initial.items() if reference.get(p) == d and not _installed(task, p))
    named = [p for p in kept if named_by(task.instruction, p)]
    return named, [p for p in kept if p not in named]


def spread(paths: list[str], limit: int) -> list[str]:
    """At most `limit` of `paths`, evenly spread over the sorted list (deterministic)."""
    if len(paths) <= limit:
        return list(paths)
    step = len(paths) / limit
    return [paths[int(i * step)] for i in range(limit)]


def corrupt(path: str, data: bytes) -> bytes:
    """A damaged copy that still looks like a file of its kind: the second half of the lines
    replaced by one junk line, and for data files every number shifted."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data[: len(data) // 2] + b"\x00corrupted\x00"
    lines = text.splitlines(keepends=True)
    keep = lines[: max(1, len(lines) // 2)] if len(lines) > 1 else [text[: len(text) // 2]]
    out = "".join(keep)
    out = re.sub(r"(?<![\w.])(\d+)(?![\w])", lambda m: str(int(m.group(1)) + 13), out)
    out += ("" if out.endswith("\n") or not out else "\n") + "### corrupted ###\n"
    return out.encode()


def tamper_variants(named: list[str], reference: Files) -> dict[str, Files]:
    """The reference answer, then one named input deleted, emptied or corrupted."""
    out: dict[str, Files] = {}
    for p in spread(named, MAX_TAMPERED_INPUTS):
        out[f"{p}:deleted"] = {k: v for k, v in reference.items() if k != p}
        out[f"{p}:emptied"] = {**reference, p: b""}
        out[f"{p}:corrupted"] = {**reference, p: corrupt(p, reference[p])}
    return out


# -- the answer's shell ----------------------------------------------------------------------------
def _blank(value, generic: bool):
    if isinstance(value, dict):
        return {k: _blank(v, generic) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v, generic) for v in value]
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return 1 if generic else 0
    if isinstance(value, str):
        return "text" if generic else ""
    return None


def _shell_csv(text: str, sep: str, generic: bool) -> str:
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    if not rows:
        return text
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(rows[0])
    for r in rows[1:]:
        w.writerow([("1" if re.fullmatch(r"-?\d+(\.\d+)?", c.strip()) else "text") if generic else "" for c in r])
    return buf.getvalue()


_MARKUP = re.compile(r"^(\s*(?:#+\s|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s|>\s?)?)(.*)$")
_LABEL = re.compile(r"^([A-Z][\w -]{0,20}:)(\s*)")


def _shell_text(text: str, generic: bool) -> str:
    """Prose and code keep their lines' markup (headings, bullets, `Label:` prefixes), the rest
    of each line emptied or replaced by generic words."""
    out = []
    for line in text.splitlines():
        m = _MARKUP.match(line)
        lead, rest = m.group(1) or "", m.group(2)
        label = _LABEL.match(rest) if not lead else None  # "Subject:" heads a line; "- Maria:" is content
        keep = label.group(0) if label else ""
        body = rest[len(keep):]
        filler = ("lorem ipsum " * (1 + len(body.split()) // 2)).strip() if generic and body.strip() else ""
        out.append(lead + keep + filler)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def shell(path: str, data: bytes, generic: bool) -> bytes:
    """The same file with its structure kept (keys, header, line markup) and its content
    emptied (`generic=False`) or replaced by generic values."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return b"" if not generic else b"\x00" * min(len(data), 64)
    if path.endswith(".json"):
        try:
            return json.dumps(_blank(json.loads(text), generic), indent=2).encode()
        except json.JSONDecodeError:
            pass
    if path.endswith(".jsonl"):
        try:
            return "".join(json.dumps(_blank(json.loads(ln), generic)) + "\n" for ln in text.splitlines()
                           if ln.strip()).encode()
        except json.JSONDecodeError:
            pass
    if path.endswith((".csv", ".tsv")):
        return _shell_csv(text, "\t" if path.endswith(".tsv") else ",", generic).encode()
    return _shell_text(text, generic).encode()


def shell_variants(outputs: list[str], reference: Files) -> dict[str, Files]:
    return {name: {**reference, **{p: shell(p, reference[p], generic) for p in outputs}}
            for name, generic in (("emptied", False), ("generic", True))}


# -- one answer for the whole family ---------------------------------------------------------------
def universal_variants(task: Task, reference: Files, others: list[ReferenceDiff]) -> dict[str, Files]:
    """This task's untouched workspace with (a) the union of what every other task's reference
    wrote and deleted (the most common content where they disagree), (b) a few single other
    tasks' answers, those that write at least one of this task's output paths first. A variant
    that happens to equal the reference answer is dropped (a duplicate task, not a cheat)."""
    initial = {f.path: f.data for f in task.workspace}
    outputs = {p for p, d in reference.items() if initial.get(p) != d}
    others = [o for o in others if o.task_id != task.id and (o.written or o.deleted)]
    if not others:
        return {}

    def apply(written: Files, deleted: set[str]) -> Files:
        files = {p: d for p, d in initial.items() if p not in deleted}
        files.update(written)
        return files

    def same_answer(files: Files) -> bool:
        return all(files.get(p) == reference.get(p) for p in outputs | set(initial))

    votes: dict[str, Counter] = {}
    for o in others:
        for p, d in o.written.items():
            votes.setdefault(p, Counter())[d] += 1
    union = {p: c.most_common(1)[0][0] for p, c in votes.items()}
    deleted = {p for o in others for p in o.deleted}
    variants = {"union": apply(union, deleted)}
    ranked = sorted(others, key=lambda o: (not (set(o.written) & outputs), o.task_id))
    for o in ranked[:MAX_UNIVERSAL_OTHERS]:
        variants[f"answer_of:{o.task_id}"] = apply(o.written, set(o.deleted))
    return {k: v for k, v in variants.items() if not same_answer(v)}


# -- over-doing -------------------------------------------------------------------------------------
def record_folders(outputs: list[str]) -> dict[str, str]:
    """Folders holding several outputs of one kind (outbox/<id>.txt): folder -> extension."""
    groups = Counter((posixpath.dirname(p), posixpath.splitext(p)[1]) for p in outputs if "/" in p)
    return {d: ext for (d, ext), n in sorted(groups.items()) if n >= 2}


def overdo_variants(other: list[str], outputs: list[str], reference: Files) -> dict[str, Files]:
    """The reference answer plus what nobody asked for: each other untouched file deleted, all
    of them changed, and an extra record in each folder of per-record outputs."""
    out: dict[str, Files] = {}
    for p in spread(other, MAX_OVERDO_FILES):
        out[f"{p}:deleted"] = {k: v for k, v in reference.items() if k != p}
    if other:
        out["others:changed"] = {**reference, **{p: reference[p] + b"\nedited by the agent\n" for p in other}}
    for folder, ext in record_folders(outputs).items():
        sample = next(reference[p] for p in outputs if posixpath.dirname(p) == folder and p.endswith(ext))
        out[f"{folder}/:extra_record"] = {**reference, f"{folder}/zz-unrequested-extra{ext}": sample}
    return out


# -- over-strictness: a second correct answer ------------------------------------------------------
_ORDER_WORDS = re.compile(r"\b(?:order(?:ed)?|sort(?:ed)?|rank(?:ed)?|ascending|descending|largest|smallest|"
                          r"first|last)\b", re.I)


def _reorder(value, mappings: bool = True, in_list: bool = False):
    """Object keys reversed: in every object, or (`mappings=False`) only in records, the
    objects inside lists, whose field order carries no meaning even when the instruction asks
    for an order (that of the records, or of a mapping's keys)."""
    if isinstance(value, dict):
        keys = list(value)
        if mappings or in_list:
            keys.reverse()
        return {k: _reorder(value[k], mappings) for k in keys}
    if isinstance(value, list):
        return [_reorder(v, mappings, True) for v in value]
    return value


def format_variants(outputs: list[str], reference: Files, initial: Files | None = None,
                    instruction: str = "") -> dict[str, Files]:
    """The reference outputs re-serialized where that changes no meaning: JSON re-indented and
    with object keys in another order, CSV with CRLF line ends (what Python's csv module writes),
    text files with the final newline toggled. Kinds that apply to no output are left out, and
    so are outputs with the bytes of an input (a moved or copied file is not serialized). Where
    the instruction speaks of an order, only the fields of records are reordered."""
    mappings = not _ORDER_WORDS.search(instruction)
    changed: dict[str, Files] = {"json_reindented": {}, "json_key_order": {}, "csv_line_ends": {},
                                 "final_newline": {}}
    copies = set((initial or {}).values())
    for p in outputs:
        data = reference[p]
        if data in copies:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if p.endswith(".json"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                continue
            compact = "\n" not in text.strip()
            changed["json_reindented"][p] = json.dumps(value, indent=None if not compact else 4,
                                                       ensure_ascii=False).encode() + b"\n"
            moved = _reorder(value, mappings)
            if json.dumps(moved) != json.dumps(value):
                changed["json_key_order"][p] = json.dumps(moved, indent=2, ensure_ascii=False).encode()
            continue
        if p.endswith((".csv", ".tsv")) and "\n" in text:
            lines = text.splitlines()
            ending = "\n" if "\r\n" in text else "\r\n"
            changed["csv_line_ends"][p] = (ending.join(lines) + (ending if text.endswith("\n") else "")).encode()
            continue
        if text.strip() and not p.endswith((".py", ".sh")) and "\r" not in text:
            changed["final_newline"][p] = (text.rstrip("\n") if text.endswith("\n") else text + "\n").encode()
    return {k: {**reference, **v} for k, v in changed.items() if v and any(reference[p] != d for p, d in v.items())}
