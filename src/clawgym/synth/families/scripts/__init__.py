"""The checks and reference solvers of the procedural families, as real Python files.

Nothing imports these modules: `clawgym.synth.families._base.script` reads each one as text and a
family pastes the texts together into a task's check.py or solve.py (which run on their own, with
no clawgym installed). Each file starts with a few lines for linters and type checkers only (a
docstring, imports of the names the harness parts before it define), ended by `SCRIPT_MARK`:

- `_check_head`, then (for some families) `_isolate` or `_common`, then `<family>_check`, then
  `_check_tail` make check.py;
- `_solve_head`, then `<family>_solve` make solve.py;
- `fix_function_bug_runner` is what that family's check runs in its confined child.
"""
