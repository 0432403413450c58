"""Rules every command keeps: one env-variable rule, one meaning of --from and --format,
--version, and skipped QA probes reported as skipped."""

from __future__ import annotations

import json
import subprocess
import sys

from clawgym import __version__
from clawgym.cli import command
from clawgym.cli._common import SHARED_ENV
from tests.conftest import HF_JSONL, REPO_TASKS, requires_bwrap

FOREIGN = {"RAY_ADDRESS"}  # other tools' own standard names, kept beside ours


def clawgym(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", **(env or {})})


def _options(cmd, path=()):
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _options(sub, (*path, name))
    for p in cmd.params:
        if p.param_type_name == "option" and p.name not in ("help", "version"):
            yield path, p


def test_every_flag_follows_the_env_rule():
    seen = 0
    for path, opt in _options(command()):
        flag = next(o[2:] for o in opt.opts if o.startswith("--"))
        name = lambda *parts: "_".join(("CLAWGYM", *parts)).upper().replace("-", "_")  # noqa: E731
        expected = [name(*path, flag)] + ([name(flag)] if flag in SHARED_ENV else [])
        ours = [v for v in opt.envvar if v not in FOREIGN]
        assert ours == expected, f"clawgym {' '.join(path)} --{flag}: {opt.envvar}"
        seen += 1
    assert seen > 60


def test_env_variables_set_flags_in_a_real_process(tmp_path):
    out = tmp_path / "d.jsonl"
    r = clawgym("tasks", "export", HF_JSONL, env={"CLAWGYM_TASKS_EXPORT_FORMAT": "jsonl",
                                                   "CLAWGYM_TASKS_EXPORT_OUT": str(out), "CLAWGYM_FROM": "clawgym-hf"})
    assert r.returncode == 0, r.stderr
    assert len(out.read_text().splitlines()) == 30
    # the specific name wins over the shared one
    r = clawgym("tasks", "list", HF_JSONL, env={"CLAWGYM_FROM": "native", "CLAWGYM_TASKS_LIST_FROM": "auto"})
    assert r.returncode == 0 and "30 task(s)" in r.stdout, r.stderr
    r = clawgym("tasks", "list", HF_JSONL, env={"CLAWGYM_TASKS_LIST_FROM": "native"})
    assert r.returncode == 1  # read as native folders: the variable was honoured


def test_from_is_what_is_read_and_format_what_is_written(tmp_path):
    r = clawgym("tasks", "export", HF_JSONL, "--from", "clawgym-hf", "--format", "harbor", "--out", tmp_path / "h")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "h" / "task_0192" / "instruction.md").is_file()
    for cmd in (["tasks", "list"], ["tasks", "lint"], ["tasks", "import"], ["verify"], ["tasks", "qa"], ["agent"]):
        assert "--from" in clawgym(*cmd, "--help").stdout
        r = clawgym(*cmd, REPO_TASKS, "--format", "jsonl")
        assert r.returncode == 2 and "--format" in r.stderr, (cmd, r.stderr)  # --format is never the input


def test_version():
    r = clawgym("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"clawgym {__version__}"


@requires_bwrap
def test_qa_counts_skipped_probes_as_skipped():
    table = clawgym("tasks", "qa", HF_JSONL, "--task", "task_0192")
    assert table.returncode == 0, table.stderr
    assert "0/1 task(s) passed every probe, 1 passed with probes skipped, 0 failed" in table.stdout
    assert "skipped (not checked): answer_key x1, mutations x1" in table.stdout
    line = json.loads(clawgym("tasks", "qa", HF_JSONL, "--task", "task_0192", "--json").stdout)
    # no reference solution: every probe built from the reference's outputs is skipped, not passed
    assert sorted(line["skipped"]) == ["answer_key", "mutations", "other_format", "overdoing", "reference",
                                       "shell", "tampered_inputs", "universal"]
    assert {k for k, v in line["checks"].items() if v["status"] == "skipped"} == set(line["skipped"])


def test_a_bad_value_from_a_variable_names_the_variable_plainly():
    r = clawgym("demo", env={"CLAWGYM_DEMO_SFT_STEPS": "abc"})
    assert r.returncode == 2 and "'--sft-steps' (env var: CLAWGYM_DEMO_SFT_STEPS)" in r.stderr, r.stderr
    assert "['" not in r.stderr
    r = clawgym("run", env={"CLAWGYM_CONCURRENCY": "x"})
    assert "(env var: CLAWGYM_RUN_CONCURRENCY, CLAWGYM_CONCURRENCY)" in r.stderr, r.stderr


def _help_is_whole(text: str, options) -> None:
    assert "…" not in text
    for path, opt in options:
        for name in opt.envvar:
            assert name in text, f"clawgym {' '.join(path)} --help cuts {name}"


def test_help_outside_a_terminal_is_never_cut(monkeypatch, capsys):
    import typer.rich_utils

    from clawgym.cli._app import PIPE_WIDTH

    options = list(_options(command()))
    r = subprocess.run([sys.executable, "-m", "clawgym", "demo", "--help"], capture_output=True, text=True,
                       timeout=120, env={"PATH": "/usr/bin:/bin"})  # a pipe, no COLUMNS: what a newcomer's `| less` gets
    assert r.returncode == 0, r.stderr
    _help_is_whole(r.stdout, [(p, o) for p, o in options if p == ("demo",)])
    # every command, at the width the CLI takes outside a terminal
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", PIPE_WIDTH)
    for path in dict.fromkeys(p for p, _ in options):
        command()([*path, "--help"], prog_name="clawgym", standalone_mode=False)
        _help_is_whole(capsys.readouterr().out, [(p, o) for p, o in options if p == path])
