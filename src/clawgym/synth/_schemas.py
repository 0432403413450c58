"""The structured answer of each LLM stage, checked strictly: a field missing, a path that
escapes the workspace, a file the instruction names but nobody wrote, an over-size workspace,
a check script without `grade` are all validation errors the model is asked to repair."""

from __future__ import annotations

import ast
import posixpath
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

FILE_EXTENSIONS = ("csv", "json", "jsonl", "md", "txt", "tsv", "yaml", "yml", "xml", "html", "py", "sh",
                   "toml", "ini", "cfg", "conf", "log", "sql", "ics", "env")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)
_PATH = re.compile(r"(?<![\w/.@-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:" + "|".join(FILE_EXTENSIONS) + r"))(?![\w/-])")
SCORE_KEYS = ("0", "0.25", "0.5", "0.75", "1")


class Caps(BaseModel):
    """Size caps of a generated workspace."""

    max_files: int = 12
    max_file_bytes: int = 64 * 1024
    max_total_bytes: int = 256 * 1024
    min_instruction_chars: int = 80


def named_paths(text: str) -> list[str]:
    """File paths a text names (tokens with a known file extension), URLs left out."""
    out = []
    for p, _ in named_path_spans(text):
        if p not in out:
            out.append(p)
    return out


def named_path_spans(text: str) -> list[tuple[str, int]]:
    """(path, offset) of every file path a text names, URLs left out."""
    text = _URL.sub(lambda m: " " * len(m.group(0)), text)
    spans = []
    for m in _PATH.finditer(text):
        p = m.group(1).strip(".").removeprefix("./")
        if p:
            spans.append((p, m.start(1)))
    return spans


_EXAMPLE = re.compile(r"(?:\be\.\s?g\.|\beg\b|\bfor example\b|\bfor instance\b|\bsuch as\b|\bsomething like\b|"
                      r"\(\s*like\b|\bnamed like\b)[^.;)\n]*$", re.I)


def is_example(text: str, offset: int, window: int = 48) -> bool:
    """Whether the path at `offset` is mentioned as an example ("e.g. outbox/T-104.txt"), not
    as a file the task reads or writes."""
    return _EXAMPLE.search(text[max(0, offset - window):offset]) is not None


_PLACEHOLDER = re.compile(r"<[^<>/]+>|\{[^{}/]+\}|\*")


def is_pattern(path: str) -> bool:
    """An output path with a per-record placeholder: outbox/<id>.txt, out/{name}.md, reports/*.csv."""
    return _PLACEHOLDER.search(path) is not None


def pattern_regex(path: str) -> re.Pattern[str]:
    """The files an output pattern stands for: each placeholder is one or more characters of a
    file name (no slash)."""
    parts, last = [], 0
    for m in _PLACEHOLDER.finditer(path):
        parts += [re.escape(path[last:m.start()]), r"[^/]+"]
        last = m.end()
    parts.append(re.escape(path[last:]))
    return re.compile("".join(parts))


def matching(pattern: str, paths) -> list[str]:
    """The paths an output entry (a path or a pattern) stands for, sorted."""
    if not is_pattern(pattern):
        return [pattern] if pattern in paths else []
    rx = pattern_regex(pattern)
    return sorted(p for p in paths if rx.fullmatch(p))


def clean_rel_path(path: str) -> str:
    p = path.strip().replace("\\", "/")
    p = p.removeprefix("./")
    if p.startswith("workspace/"):
        p = p[len("workspace/"):]
    norm = posixpath.normpath(p)
    if not p or p.startswith("/") or norm.startswith("..") or norm in (".", "") or "\0" in p:
        raise ValueError(f"{path!r} is not a relative path inside the workspace")
    return norm


class DraftFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(description="Relative path inside the workspace, e.g. input/orders.csv")
    content: str

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return clean_rel_path(v)


class DraftSolution(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language: Literal["bash", "python"]
    code: str = Field(min_length=1)


class TaskDraft(BaseModel):
    """The generation stage's answer: the task, its workspace and its reference solution."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=3, max_length=200)
    instruction: str
    input_files: list[DraftFile] = Field(default_factory=list)
    output_files: list[str] = Field(min_length=1, description="Paths the agent must create or change; a "
                                    "per-record output is a pattern such as outbox/<id>.txt.")
    solution: DraftSolution
    subjective: bool = Field(default=False, description="Whether an output's quality needs human-like judgment.")
    packages: list[str] = Field(default_factory=list, description="Common packages (pip names) the solution uses, "
                                "from those the sandbox offers.")

    @field_validator("output_files")
    @classmethod
    def _outputs(cls, v: list[str]) -> list[str]:
        return [clean_rel_path(p) for p in v]

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> "TaskDraft":
        caps: Caps = (info.context or {}).get("caps") or Caps()
        problems = []
        if len(self.instruction.strip()) < caps.min_instruction_chars:
            problems.append(f"instruction is shorter than {caps.min_instruction_chars} characters")
        paths = [f.path for f in self.input_files]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        if dupes:
            problems.append(f"input_files lists {', '.join(dupes)} more than once")
        if len(paths) > caps.max_files:
            problems.append(f"{len(paths)} input files; at most {caps.max_files}")
        sizes = {f.path: len(f.content.encode("utf-8")) for f in self.input_files}
        big = [f"{p} ({n} bytes)" for p, n in sizes.items() if n > caps.max_file_bytes]
        if big:
            problems.append(f"input files over {caps.max_file_bytes} bytes: {', '.join(big)}")
        if sum(sizes.values()) > caps.max_total_bytes:
            problems.append(f"input files total {sum(sizes.values())} bytes; at most {caps.max_total_bytes}")
        offered = (info.context or {}).get("packages")
        if offered is not None:
            unknown = [p for p in self.packages if p not in offered]
            if unknown:
                problems.append(f"packages {', '.join(unknown)} are not installed in the sandbox (it offers "
                                f"{', '.join(offered) or 'none'}): use those or the standard library")
        known = set(paths) | set(self.output_files)
        dirs = {posixpath.dirname(p) for p in known}
        patterns = [p for p in self.output_files if is_pattern(p)]
        missing = []
        for p, at in named_path_spans(self.instruction):
            if p in known or any(k.endswith("/" + p) for k in known) or p in dirs or p in missing:
                continue
            if any(matching(pat, [p]) for pat in patterns) or is_example(self.instruction, at):
                continue  # one of the per-record outputs, or a name given as an example
            missing.append(p)
        if missing:
            problems.append("the instruction names " + ", ".join(missing) + ", which is neither in input_files "
                            "nor in output_files: add the file (with realistic content) or fix the instruction")
        text = self.instruction
        unused = [p for p in paths if p not in text and posixpath.basename(p) not in text
                  and not any(_names_dir(text, d) for d in _parents(p))]
        if unused:
            problems.append("input files the instruction never mentions: " + ", ".join(unused)
                            + " (every input file must be needed and named)")
        unnamed = [p for p in self.output_files if p not in text and posixpath.basename(p) not in text
                   and not (is_pattern(p) and _names_dir(text, posixpath.dirname(p)))]
        if unnamed:
            problems.append("output files the instruction does not name: " + ", ".join(unnamed))
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _names_dir(text: str, d: str) -> bool:
    """Whether the text names folder d on its own ("input/site/" or "input/site"), not only
    as the start of some other file's path."""
    return re.search(r"(?<![\w/.-])" + re.escape(d) + r"(?:/(?![\w.-])|(?![\w./-]))", text) is not None


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


class JudgeVote(BaseModel):
    """One judge's verdict on a task it saw whole (instruction, input files and the reference
    solution's outputs)."""

    model_config = ConfigDict(extra="ignore")

    factual_error: bool
    answer_leak: bool
    unsolvable: bool
    ambiguous: bool
    needs_internet: bool
    wrong_reference: bool = Field(description="The reference solution's outputs are wrong or incomplete: they "
                                              "must not become the ground truth.")
    reason: str = ""

    def flags(self) -> list[str]:
        return [k for k in ISSUES if getattr(self, k)]


ISSUES = ("factual_error", "answer_leak", "unsolvable", "ambiguous", "needs_internet", "wrong_reference")


def copied_literals(code: str, outputs: dict[str, str], public: str) -> list[str]:
    """Numbers written into check code that the reference outputs hold but the instruction and
    the inputs do not: expected values copied from a reference that may be wrong, instead of
    computed. Small whole numbers (counts, indices, limits) are not counted, nor strings (in a
    check they are mostly layout: headers, labels, markers)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []

    def occurs(text: str, where: str) -> bool:
        return re.search(r"(?<![\d.])" + re.escape(text) + r"(?![\d])", where) is not None

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool) \
                or not isinstance(node.value, (int, float)):
            continue
        v = node.value
        if float(v).is_integer() and abs(v) < 100:
            continue
        text = repr(v)
        if not occurs(text, public) and any(occurs(text, o) for o in outputs.values()):
            found.append(text)
    return sorted(set(found))


class CheckScript(BaseModel):
    """The verifier stage's answer: a complete check.py with ClawGym's `grade` contract, that
    computes its expected values rather than copying them from the reference outputs (given as
    validation context `reference_outputs`, with the instruction and inputs as `public`)."""

    model_config = ConfigDict(extra="ignore")

    check_py: str = Field(min_length=1)

    @field_validator("check_py")
    @classmethod
    def _copied(cls, code: str, info: ValidationInfo) -> str:
        ctx = info.context or {}
        copied = copied_literals(code, ctx.get("reference_outputs") or {}, ctx.get("public") or "")
        if copied:
            raise ValueError("check_py compares against values copied from the reference outputs ("
                             + ", ".join(repr(c)[:40] for c in copied[:6]) + "); the reference may be wrong: "
                             "compute the expected values from the input files")
        return code

    @field_validator("check_py")
    @classmethod
    def _contract(cls, code: str) -> str:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            raise ValueError(f"check_py does not parse: line {exc.lineno}: {exc.msg}") from None
        grade = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "grade"]
        if not grade:
            raise ValueError("check_py defines no top-level `def grade(transcript, workspace_path)`")
        if len(grade[0].args.args) != 2:
            raise ValueError("grade must take exactly (transcript, workspace_path)")
        if "__main__" not in code:
            raise ValueError("check_py needs an `if __name__ == \"__main__\":` entry point that prints "
                             "json.dumps(grade([], sys.argv[1]))")
        return code


def parse_check(text: str) -> Any:
    """JSON `{"check_py": ...}`, or a bare ```python fenced block (what code models tend to write)."""
    from clawgym.synth._engine import ParseError, extract_json

    try:
        return extract_json(text)
    except ParseError:
        m = re.search(r"```(?:python|py)\s*\n(.*?)```", text, re.S)
        if m:
            return {"check_py": m.group(1)}
        raise


class RubricAnswer(BaseModel):
    """ClawGym's `llm_rubric`, or `{"skip_rubric": true, "reason": ...}` when code checks suffice."""

    model_config = ConfigDict(extra="ignore")

    skip_rubric: bool = False
    reason: str = ""
    eval_type: str | None = None
    score_options: list[float] | None = None
    eval_input: str = ""
    rules: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self, info: ValidationInfo) -> "RubricAnswer":
        if self.skip_rubric:
            return self
        outputs = set((info.context or {}).get("outputs") or [])
        problems = []
        if self.eval_type != "llm_rubric":
            problems.append('eval_type must be "llm_rubric"')
        if self.score_options != [0, 0.25, 0.5, 0.75, 1]:
            problems.append("score_options must be exactly [0, 0.25, 0.5, 0.75, 1]")
        if not self.rules:
            problems.append("rules is empty (answer {\"skip_rubric\": true, \"reason\": ...} instead)")
        for i, rule in enumerate(self.rules):
            if not isinstance(rule.get("name"), str) or not rule["name"].strip():
                problems.append(f"rules[{i}] has no name")
            fp = rule.get("file_path")
            if not isinstance(fp, str) or (outputs and fp not in outputs):
                problems.append(f"rules[{i}].file_path {fp!r} is not one of the output files {sorted(outputs)}")
            scores = rule.get("scores")
            if not isinstance(scores, dict) or {str(k) for k in scores} != set(SCORE_KEYS) \
                    or not all(isinstance(v, str) and v.strip() for v in scores.values()):
                problems.append(f"rules[{i}].scores must describe exactly the levels {list(SCORE_KEYS)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self
