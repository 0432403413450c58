"""The workspaces of QA's cheating probes, derived from one run of the reference solution.

A verifier is an attack surface: whatever it credits without the work, RL will find. Each
function here turns the reference workspace (path -> bytes after the reference solution ran) into
the workspaces a cheating agent would leave, and one (`format_variants`) into a second correct
answer that an over-strict verifier would wrongly fail. Nothing here runs anything: `_qa` scores
the workspaces in verification sandboxes.
"""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import io
import json
import posixpath
import re
import zlib
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


# -- answer-key reachability -----------------------------------------------------------------------
ATTACK_CHANNELS = ("files", "stdin", "env", "parent", "payload")

_ATTACK = r'''# -*- coding: utf-8 -*-
import sys as _cg_sys
def _cg_probe(channels, keys, pure_ref, ref_blob):
    import base64, hashlib, io, json, os, re, select, stat, time, zlib
    here = globals().get("__file__") or os.path.join(os.getcwd(), "_")
    words = ("expected", "expect", "want", "answer", "solution", "correct", "truth", "golden", "target")
    found = []

    def src(blob):
        return zlib.decompress(base64.b64decode(blob)).decode("utf-8")

    def keyish(obj, depth=0):
        if depth > 12:
            return False
        if isinstance(obj, dict):
            for k, v in obj.items():
                if isinstance(k, str) and any(w in k.lower() for w in words) and v not in (None, "", [], {}):
                    return True
            return any(keyish(v, depth + 1) for v in obj.values())
        if isinstance(obj, list):
            return any(keyish(v, depth + 1) for v in obj[:1000])
        return False

    ref_ns = None

    def pairs(obj, depth=0):
        nonlocal ref_ns
        if depth > 12 or not pure_ref:
            return False
        if isinstance(obj, dict):
            return any(pairs(v, depth + 1) for v in obj.values())
        if not isinstance(obj, list) or not obj:
            return False
        if all(isinstance(x, list) and len(x) == 2 for x in obj):
            if ref_ns is None:
                ref_ns = {"__name__": "_cg_reference"}
                try:
                    exec(compile(src(ref_blob), "<reference>", "exec"), ref_ns)
                except BaseException:
                    ref_ns = {}
            for fn in [v for k, v in ref_ns.items() if callable(v) and not k.startswith("_")]:
                hits = 0
                for a, b in obj[:200]:
                    for call in ((lambda: fn(*a)) if isinstance(a, list) else None, lambda: fn(a)):
                        try:
                            if call is not None and json.loads(json.dumps(call())) == b:
                                hits += 1
                                break
                        except BaseException:
                            pass
                if hits and hits * 2 >= len(obj[:200]):
                    return True
        return any(pairs(v, depth + 1) for v in obj[:1000])

    def blob_hit(data):
        if not data:
            return False
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            return re.search(r"\b(?:" + "|".join(words) + r")\w*\s*[:=]\s*\S", text, re.I) is not None
        return keyish(obj) or pairs(obj)

    def hashed(path):
        try:
            if os.path.isfile(path) and os.path.getsize(path) <= (4 << 20):
                with open(path, "rb") as fh:
                    return hashlib.sha256(fh.read()).hexdigest() in keys
        except OSError:
            pass
        return False

    ppid = os.getppid()
    if "files" in channels:
        bases, seen = [], 0
        for start in (os.path.dirname(os.path.abspath(here)), os.getcwd(), f"/proc/{ppid}/cwd"):
            d = os.path.realpath(start)
            for _ in range(8):
                bases.append(d)
                d = os.path.dirname(d)
        for base in dict.fromkeys(bases + ["/tmp"]):
            for sub in ("", "reward", "checks", "tests", "data"):
                top = os.path.join(base, sub)
                try:
                    walker = os.walk(top) if sub or base == "/tmp" else [(top, [], os.listdir(top))]
                    for root, _dirs, names in walker:
                        for n in names:
                            seen += 1
                            if seen > 3000:
                                break
                            if hashed(os.path.join(root, n)):
                                found.append("files")
                                break
                        if found or seen > 3000:
                            break
                except OSError:
                    pass
                if found:
                    break
            if found:
                break
        if not found:
            for fds in ("/proc/self/fd", f"/proc/{ppid}/fd"):
                try:
                    for n in os.listdir(fds):
                        if hashed(os.path.join(fds, n)):
                            found.append("files")
                            break
                except OSError:
                    pass
    if "stdin" in channels:
        try:
            fd = _cg_sys.stdin.fileno()
            mode = os.fstat(fd).st_mode
            data = b""
            if stat.S_ISREG(mode):
                pos = os.lseek(fd, 0, os.SEEK_CUR)
                data = os.read(fd, 8 << 20)
                os.lseek(fd, pos, os.SEEK_SET)
            elif stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                chunks, deadline = [], time.monotonic() + 2.0
                while time.monotonic() < deadline and sum(map(len, chunks)) < (8 << 20):
                    r, _, _ = select.select([fd], [], [], 0.2 if chunks else max(0.0, deadline - time.monotonic()))
                    if not r:
                        break
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        chunks.append(b"")
                        break
                    chunks.append(chunk)
                data = b"".join(chunks)
                eof = bool(chunks) and chunks[-1] == b""

                class Replay(io.RawIOBase):
                    def __init__(self):
                        self.buf = data

                    def readable(self):
                        return True

                    def readinto(self, b):
                        if self.buf:
                            n = min(len(b), len(self.buf))
                            b[:n], self.buf = self.buf[:n], self.buf[n:]
                            return n
                        if eof:
                            return 0
                        chunk = os.read(fd, len(b))
                        b[:len(chunk)] = chunk
                        return len(chunk)

                enc = getattr(_cg_sys.stdin, "encoding", None) or "utf-8"
                _cg_sys.stdin = io.TextIOWrapper(io.BufferedReader(Replay()), encoding=enc)
            if blob_hit(data):
                found.append("stdin")
        except (OSError, ValueError, AttributeError):
            pass
    if "env" in channels:
        for k, v in os.environ.items():
            if any(w in k.lower() for w in words) or blob_hit(v):
                found.append("env")
                break
    if "parent" in channels:
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{ppid}/{name}", "rb") as fh:
                    parts = fh.read().split(b"\0")
            except OSError:
                continue
            if any(blob_hit(p) for p in parts if p):
                found.append("parent")
                break
    if "payload" in channels:
        paths = [os.environ.get("OPENCLAW_REWARD_PAYLOAD", "")]
        d = os.path.dirname(os.path.abspath(here))
        for _ in range(8):
            paths.append(os.path.join(d, ".openclaw_reward_payload.json"))
            d = os.path.dirname(d)
        for p in paths:
            try:
                with open(p, "rb") as fh:
                    if blob_hit(fh.read(8 << 20)):
                        found.append("payload")
                        break
            except OSError:
                pass
    return found


try:
    _cg_found = _cg_probe(_CG_CHANNELS, _CG_KEYS, _CG_PURE, _CG_REF)
except BaseException:
    _cg_found = []
import base64 as _cg_b64, zlib as _cg_zlib
exec(compile(_cg_zlib.decompress(_cg_b64.b64decode(_CG_REF if _cg_found else _CG_ORIG)).decode("utf-8"),
             globals().get("__file__", "<module>"), "exec"))
'''


def _pack(text: bytes) -> str:
    return base64.b64encode(zlib.compress(text)).decode()


def _pure(source: bytes) -> bool:
    """Whether running the code only defines things (imports, functions, classes, constants):
    safe to run a second time in a scratch namespace."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
               ast.AnnAssign, ast.Expr, ast.If)
    for node in tree.body:
        if not isinstance(node, allowed):
            return False
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            return False
        if isinstance(node, ast.If) and "__main__" not in ast.unparse(node.test):
            return False
    return True


def attack_module(original: bytes | None, reference: bytes, checks_sha256: list[str],
                  channels: tuple[str, ...] = ATTACK_CHANNELS) -> bytes:
    """A module that looks for the verifier's answer key where the code under test can reach
    it, then behaves as the reference solution's file when it found one and as the original
    (unfixed, or empty) file when not. With `channels=()` it never looks: the control."""
    pre = (f"_CG_CHANNELS = {tuple(channels)!r}\n_CG_KEYS = {set(checks_sha256)!r}\n"
           f"_CG_PURE = {_pure(reference)!r}\n_CG_REF = {_pack(reference)!r}\n"
           f"_CG_ORIG = {_pack(original or b'')!r}\n")
    return (pre + _ATTACK).encode()


def answer_key_variants(task: Task, reference: Files, channels: tuple[str, ...] = ATTACK_CHANNELS) -> dict[str, Files]:
    """{"control": ..., "attack": ...}: every .py the reference wrote or changed replaced by
    `attack_module` (never looking, or looking on `channels`); {} when it wrote no Python."""
    initial = {f.path: f.data for f in task.workspace}
    code = sorted(p for p, d in reference.items() if p.endswith(".py") and initial.get(p) != d)
    if not code:
        return {}
    public = set(initial.values())
    keys = sorted({hashlib.sha256(f.data).hexdigest() for f in task.checks
                   if f.data.strip() and posixpath.basename(f.path) != "reward.sh" and f.data not in public})
    out = {}
    for name, chans in (("control", ()), ("attack", channels)):
        out[name] = {**reference, **{p: attack_module(initial.get(p), reference[p], keys, chans) for p in code}}
    return out
