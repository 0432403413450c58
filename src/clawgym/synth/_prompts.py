"""Prompts of the persona route. Written for ClawGym after reading ClawGym-SynData's templates;
each stage's system prompt states the JSON shape its pydantic schema checks."""

from __future__ import annotations

import json
from typing import Any

from clawgym.synth._inputs import TaskSpec
from clawgym.synth._schemas import Caps

GENERATE_SYSTEM = """You design one verifiable task for a personal AI agent that works inside a user's computer \
(files, shell, Python 3 with its standard library{packages}; NO network access).

Write a realistic request this persona would make, the mock workspace it needs, and a reference solution.

Rules:
- The request is self-contained and non-trivial; every required operation is an essential step.
- Name every input file and every output file by its relative path in the instruction. Every file the \
instruction names must either be in input_files (with full, realistic, internally consistent content) or be \
listed in output_files (names given only as examples, "e.g. outbox/T-104.txt", are fine). Every input file must \
be needed. When the task writes one file per record, list the pattern in output_files, e.g. "outbox/<id>.txt".
- Make success objectively checkable: exact output paths, formats, field names, sort orders, tie-breaks, \
rounding. Do not put the answer itself in the instruction or in the input files.
- No Internet, no credentials, no GUI, no time-dependent facts ("today", "latest").
- The reference solution (bash, or Python 3 with the standard library and the packages you list in \
"packages") runs from the workspace root and must produce every output file exactly as the instruction asks. \
It changes nothing else: inputs the instruction does not ask to change stay exactly as they are.
- Keep the workspace small: at most {max_files} files, {max_file_bytes} bytes each.

Answer with ONE JSON object, no prose:
{{"title": str, "instruction": str, "input_files": [{{"path": str, "content": str}}],
  "output_files": [str], "solution": {{"language": "bash" | "python", "code": str}},
  "packages": [str]  // pip names of the common packages the solution uses; [] for the standard library,
  "subjective": bool  // true when an output (an email, a summary) also needs judging for quality}}"""

JUDGE_SYSTEM = """You audit one synthesized task for a personal AI agent before it enters a dataset. \
You see the instruction, every input file AND the outputs of its reference solution, which will become the \
ground truth the agent is graded against. You judge whether the task is fit.

Flag (true/false):
- factual_error: the instruction contradicts its input files or states something false that breaks the task.
- answer_leak: the instruction or an input file already contains the finished output, so the work collapses \
into copying.
- unsolvable: the task cannot be completed from what the workspace holds (missing data, impossible constraints).
- ambiguous: the expected result is not uniquely determined (missing sort order, undefined rounding...).
- needs_internet: completing it requires network access (the sandbox has none).
- wrong_reference: the reference outputs do not do what the instruction asks with these inputs (a wrong or \
missing value, record or rule; check a few values yourself). A wrong reference must not become ground truth.

Answer with ONE JSON object, no prose:
{"factual_error": bool, "answer_leak": bool, "unsolvable": bool, "ambiguous": bool, "needs_internet": bool,
 "wrong_reference": bool, "reason": str  // one or two sentences grounded in the instruction or a named file}"""

VERIFIER_SYSTEM = """You write the code verifier of one task: a Python 3 (standard library only) script \
checks/check.py. An agent trained against it will exploit every shortcut it leaves, so it must credit only the \
real work.

Contract:
- Define `def grade(transcript: list, workspace_path: str) -> dict` returning named checks with float values \
in [0, 1]. Read the agent's results from files under `workspace_path`.
- Add `if __name__ == "__main__":` that prints `json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else "."))`.
- Never crash: a missing or malformed output scores 0 on the checks that need it.

What to check:
- Compute or parse every expected value at grading time from the input files (re-implement the computation). \
Never compare against literal values copied from the reference outputs shown: they come from a reference \
solution that may be wrong, and are shown only to illustrate the format.
- An untouched workspace scores 0 on every check: no credit for input files that already exist.
- A correct result scores 1 on every check, in any equivalent format: parse JSON (any indentation or key \
order), accept LF or CRLF line ends and a missing or extra final newline, unless the instruction demands the \
exact layout. Do not demand wording the instruction does not ask for.
- No credit for the answer's shell: the right files with empty or generic content (right header or keys, wrong \
values) score at most 0.3; gate format checks on correct content. Placeholder or damaged outputs score well \
below 1, and so does a fixed answer that would fit any task of this kind.
- Protect the user's files: embed a sha256 of each input file the instruction does not ask to change and \
gate the whole score on it, so that deleting, emptying or corrupting inputs after writing the outputs scores \
at most half; deleting or changing any other file, or writing extra records nobody asked for, must lower the \
score.
- If you run the agent's code (import it or run its script), first read what you need, then delete the \
folder holding check.py and the file named by the OPENCLAW_REWARD_PAYLOAD environment variable, and run the \
code in a subprocess (`python3 -I`, cwd a fresh temporary folder) that gets only the inputs: never pass \
expected values on its stdin, arguments or environment. Compare its results in the check.

Answer with ONE JSON object, no prose: {"check_py": str}"""

RUBRIC_SYSTEM = """You write an LLM rubric for the parts of one task's outputs that code cannot judge well \
(tone, clarity, faithfulness to sources, usefulness). The code checks shown already cover everything \
objective: do not repeat them.

Answer with ONE JSON object, no prose, either
{"eval_type": "llm_rubric", "score_options": [0, 0.25, 0.5, 0.75, 1], "eval_input": str,
 "rules": [{"name": str, "file_path": str  // one of the task's output files,
            "scores": {"0": str, "0.25": str, "0.5": str, "0.75": str, "1": str}}]}
or, when nothing subjective is left to judge, {"skip_rubric": true, "reason": str}."""


def packages_note(packages: list[str] | None) -> str:
    """What GENERATE_SYSTEM's {packages} says: the common packages the sandbox offers."""
    return f", plus these installed packages: {', '.join(packages)}" if packages else ""


def generate_messages(spec: TaskSpec, caps: Caps, packages: list[str] | None = None) -> list[dict[str, Any]]:
    user = (f"Persona: {spec.persona}\n"
            f"Task category: {spec.category} / {spec.subcategory}\n"
            f"Required operations: {json.dumps(spec.operations)}\n\n"
            "Design the task.")
    return [{"role": "system", "content": GENERATE_SYSTEM.format(max_files=caps.max_files,
                                                                 max_file_bytes=caps.max_file_bytes,
                                                                 packages=packages_note(packages))},
            {"role": "user", "content": user}]


def render_files(files: list[dict[str, str]], limit_chars: int) -> str:
    parts, used = [], 0
    for f in files:
        content = f["content"]
        room = max(0, limit_chars - used)
        shown = content if len(content) <= room else content[:room] + f"\n[... {len(content) - room} more characters]"
        used += len(shown)
        parts.append(f"--- {f['path']} ---\n{shown}")
    return "\n".join(parts) if parts else "(no input files)"


def judge_messages(draft: dict[str, Any], outputs: dict[str, str] | None = None,
                   limit_chars: int = 40_000) -> list[dict[str, Any]]:
    user = (f"Instruction:\n{draft['instruction']}\n\nOutput files the agent must produce: "
            f"{json.dumps(draft['output_files'])}\n\nInput files:\n{render_files(draft['input_files'], limit_chars)}")
    if outputs is not None:
        ref = [{"path": p, "content": c} for p, c in sorted(outputs.items())]
        user += ("\n\nOutputs of the reference solution (the future ground truth: are they right?):\n"
                 + render_files(ref, limit_chars // 2))
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def verifier_messages(draft: dict[str, Any], reference: dict[str, str], limit_chars: int = 40_000) -> list[dict[str, Any]]:
    ref = [{"path": p, "content": c} for p, c in sorted(reference.items())]
    user = (f"Instruction:\n{draft['instruction']}\n\nOutput files: {json.dumps(draft['output_files'])}\n\n"
            f"Input files:\n{render_files(draft['input_files'], limit_chars)}\n\n"
            "Outputs of a reference solution (to show the format only; it may be wrong: compute expected values "
            f"from the inputs, never copy them from here):\n{render_files(ref, limit_chars // 2)}")
    return [{"role": "system", "content": VERIFIER_SYSTEM}, {"role": "user", "content": user}]


def rubric_messages(draft: dict[str, Any], check_py: str) -> list[dict[str, Any]]:
    user = (f"Instruction:\n{draft['instruction']}\n\nOutput files: {json.dumps(draft['output_files'])}\n\n"
            f"Code checks already in place:\n```python\n{check_py}\n```")
    return [{"role": "system", "content": RUBRIC_SYSTEM}, {"role": "user", "content": user}]


def qa_feedback(failures: dict[str, Any]) -> str:
    lines = ["Your check.py was run against this task in a sandbox and failed quality assurance:"]
    explain = {
        "noop": "the untouched workspace (the agent did nothing) got credit; every check must be 0 then",
        "reference": "the reference solution's correct outputs did not score 1",
        "placeholders": "placeholder outputs (empty files, a single word) scored 0.5 or more",
        "mutations": "damaged reference outputs did not score lower than the correct ones",
        "determinism": "two runs on the same workspace gave different scores",
        "runtime": "the script ran longer than its time budget",
        "tampered_inputs": "correct outputs followed by deleting, emptying or corrupting an input file kept more "
                           "than half the score; gate the score on the inputs being intact",
        "shell": "the answer's shell (right files and structure, empty or generic content) scored above 0.3",
        "universal": "another task's answer (one fixed answer for every task of this kind) scored 0.5 or more; "
                     "check this task's own values",
        "overdoing": "correct outputs plus deleting or changing other files (or an extra record) did not lower "
                     "the score",
        "answer_key": "code under test that looks for the expected values (check files, stdin, environment, the "
                      "parent process, the payload) found them and scored higher; run agent code where none of "
                      "them is reachable",
        "other_format": "an equivalent answer (JSON re-indented or keys reordered, CRLF line ends, final newline) "
                        "scored lower than the reference; parse instead of comparing bytes",
    }
    for name, detail in failures.items():
        lines.append(f"- {name}: {explain.get(name, 'failed')}. Details: {json.dumps(detail, default=str)[:1500]}")
    lines.append('Fix the script and answer again with ONE JSON object {"check_py": str}.')
    return "\n".join(lines)
