"""`sandbox.self_check(backend)`: every backend passes the conformance suite (bwrap, process,
docker where a daemon runs), a user's `module:Class` backend can run it, and a backend that gets
the semantics wrong is caught with the rule it broke."""

from __future__ import annotations

import pytest

from clawgym.errors import SandboxError
from clawgym.sandbox import ExecResult, ProcessSandbox, SelfCheckError, create_sandbox, self_check
from tests.conftest import requires_bwrap


def _by_name(results):
    return {r.name: r for r in results}


@requires_bwrap
def test_bwrap_passes_and_isolates():
    results = _by_name(self_check("bwrap"))
    assert all(r.ok for r in results.values()), results
    assert {"exec_exit_codes", "exec_output", "exec_timeout", "files", "export_import_round_trip", "isolation",
            "close_is_final"} <= set(results)
    assert "out of reach" in results["isolation"].detail


@pytest.mark.filterwarnings("ignore:ClawGym is using the 'process' sandbox backend")
def test_process_passes_and_says_it_does_not_isolate():
    results = _by_name(self_check("process"))
    assert all(r.ok for r in results.values()), results
    assert "does not isolate" in results["isolation"].detail


def test_docker_passes_where_a_daemon_runs():
    from clawgym.sandbox import check_docker

    try:
        check_docker()
    except SandboxError as exc:
        pytest.skip(f"no Docker sandbox here: {exc}")
    assert all(r.ok for r in self_check("docker"))


class UsersBox(ProcessSandbox):
    """A user's own backend, named as module:Class."""


class LyingBox(ProcessSandbox):
    """Swallows exit codes: every command 'succeeds'."""

    def exec(self, command, **kw) -> ExecResult:
        r = super().exec(command, **kw)
        return r.model_copy(update={"exit_code": 0})


class ClaimsIsolation(ProcessSandbox):
    """Says it isolates while it runs on the host."""

    isolates = True


@pytest.mark.filterwarnings("ignore:ClawGym is using the 'process' sandbox backend")
def test_a_users_module_class_backend_runs_the_suite_and_keeps_its_name():
    spec = f"{__name__}:UsersBox"
    assert all(r.ok for r in self_check(spec))
    with create_sandbox(spec) as sb:
        assert sb.backend == spec  # its registry name: another session like it can be made from it
    with create_sandbox("process") as sb:
        assert sb.backend == "process"


@pytest.mark.filterwarnings("ignore:ClawGym is using the 'process' sandbox backend")
@pytest.mark.parametrize("cls, broken", [("LyingBox", "exec_exit_codes"), ("ClaimsIsolation", "isolation")])
def test_a_backend_that_breaks_a_rule_is_caught(cls, broken):
    with pytest.raises(SelfCheckError, match=f"{broken}: "):
        self_check(f"{__name__}:{cls}")
    results = _by_name(self_check(f"{__name__}:{cls}", raise_on_failure=False))
    assert [n for n, r in results.items() if not r.ok] == [broken]
