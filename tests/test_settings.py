"""The one settings object: every variable read in one place, typed, documented in the README,
installed once by the CLI and overridable by argument; the old name of a variable still works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from pydantic import ValidationError

from clawgym import settings
from clawgym.settings import DEFAULT_MAX_FILE_BYTES, Settings
from tests.conftest import requires_bwrap

REPO = Path(__file__).resolve().parents[1]
ALL = list(Settings.variables())


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No variable of ours from the machine running the tests, and nothing installed."""
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    settings.use(None)
    yield
    settings.use(None)


def test_defaults_without_any_variable():
    s = Settings.from_env()
    assert s.max_file_size == DEFAULT_MAX_FILE_BYTES and s.max_workspace_entries == 200_000
    assert s.sandbox_dir is None and not s.sandbox_debug and s.verify_python is None
    assert s.cache_root() == Path.home() / ".cache" / "clawgym"
    assert s.judge_cache_root() == Path.home() / ".cache" / "clawgym" / "judge"


def test_every_variable_is_read(monkeypatch, tmp_path):
    values = {"CLAWGYM_SANDBOX_DIR": str(tmp_path / "sbx"), "CLAWGYM_SANDBOX_DEBUG": "1",
              "CLAWGYM_MAX_WORKSPACE_ENTRIES": "123", "CLAWGYM_MAX_FILE_SIZE": "456",
              "CLAWGYM_VERIFY_PYTHON": "/opt/py/bin/python3", "CLAWGYM_DOCKER_IMAGE": "img:1",
              "CLAWGYM_CACHE": str(tmp_path / "cache"), "CLAWGYM_JUDGE_CACHE": str(tmp_path / "judge"),
              "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-secret-1"}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    s = Settings.from_env()
    assert s.sandbox_root() == tmp_path / "sbx" and s.sandbox_debug is True
    assert (s.max_workspace_entries, s.max_file_size) == (123, 456)
    assert (s.verify_python, s.docker_image, s.openai_base_url) == ("/opt/py/bin/python3", "img:1",
                                                                     "http://127.0.0.1:9/v1")
    assert s.cache_root() == tmp_path / "cache" and s.judge_cache_root() == tmp_path / "judge"
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == "sk-secret-1"
    assert "sk-secret-1" not in repr(s) and "sk-secret-1" not in s.model_dump_json()
    # every variable the settings hold was set above: the list and the fields agree
    assert set(values) | {"CLAWGYM_MAX_FILE_BYTES"} == set(ALL)


def test_the_old_name_still_works_with_a_warning_and_the_new_name_wins(monkeypatch):
    monkeypatch.setenv("CLAWGYM_MAX_FILE_BYTES", "777")
    with pytest.warns(DeprecationWarning, match="CLAWGYM_MAX_FILE_BYTES is deprecated; set CLAWGYM_MAX_FILE_SIZE"):
        assert Settings.from_env().max_file_size == 777
    monkeypatch.setenv("CLAWGYM_MAX_FILE_SIZE", "888")
    with pytest.warns(DeprecationWarning, match="CLAWGYM_MAX_FILE_SIZE wins"):
        assert Settings.from_env().max_file_size == 888


def test_a_bad_value_is_refused_with_the_field_named(monkeypatch):
    monkeypatch.setenv("CLAWGYM_MAX_WORKSPACE_ENTRIES", "lots")
    with pytest.raises(ValidationError, match="max_workspace_entries"):
        Settings.from_env()
    monkeypatch.setenv("CLAWGYM_MAX_WORKSPACE_ENTRIES", "0")
    with pytest.raises(ValidationError, match="greater than 0"):
        Settings.from_env()


def test_current_follows_the_environment_until_settings_are_installed(monkeypatch):
    from clawgym.tasks import LoadOptions

    monkeypatch.setenv("CLAWGYM_MAX_FILE_SIZE", "1000")
    assert settings.current().max_file_size == 1000 and LoadOptions().max_file_bytes == 1000
    monkeypatch.setenv("CLAWGYM_MAX_FILE_SIZE", "2000")
    assert LoadOptions().max_file_bytes == 2000
    settings.use(Settings(max_file_size=3000))  # installed: the environment is no longer asked
    monkeypatch.setenv("CLAWGYM_MAX_FILE_SIZE", "4000")
    assert LoadOptions().max_file_bytes == 3000
    assert LoadOptions(max_file_bytes=5).max_file_bytes == 5  # an argument beats the settings


@requires_bwrap
def test_sandboxes_and_models_take_their_defaults_from_the_settings():
    from clawgym.models import load_model
    from clawgym.sandbox import create_sandbox

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:  # a sandbox's uid must be able to enter it
        root = Path(tmp)
        root.chmod(0o711)
        settings.use(Settings(sandbox_dir=root / "here", openai_base_url="http://127.0.0.1:9/v1",
                              openai_api_key="sk-x"))
        with create_sandbox("bwrap") as sb:
            assert sb.root.parent == root / "here" and sb.exec("echo hi").stdout == "hi\n"
        with create_sandbox("bwrap", root_dir=root / "arg") as sb:
            assert sb.root.parent == root / "arg"
    model = load_model("openai:m")
    assert model.base_url == "http://127.0.0.1:9/v1"
    assert load_model("openai:m", base_url="http://127.0.0.1:8/v1").base_url == "http://127.0.0.1:8/v1"


def test_the_readme_documents_every_variable():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert set(ALL) <= table, f"missing from the README's table: {set(ALL) - table}"


def _clawgym(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ALL}
    return subprocess.run([sys.executable, "-m", "clawgym", *args], capture_output=True, text=True, timeout=120,
                          env={**base, **env, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "200"})


def test_the_cli_reads_the_settings_once_and_says_what_is_wrong():
    tasks = str(REPO / "tests" / "data" / "clawgym" / "tasks")
    old = _clawgym("tasks", "list", tasks, env={"CLAWGYM_MAX_FILE_BYTES": "10"})
    assert old.returncode == 1, old.stderr
    assert "warning: CLAWGYM_MAX_FILE_BYTES is deprecated; set CLAWGYM_MAX_FILE_SIZE instead" in old.stderr
    assert "over the cap of 10" in old.stderr  # the old name still took effect
    bad = _clawgym("tasks", "list", tasks, env={"CLAWGYM_MAX_WORKSPACE_ENTRIES": "lots"})
    assert bad.returncode == 2 and "CLAWGYM_MAX_WORKSPACE_ENTRIES='lots'" in bad.stderr, bad.stderr
    ok = _clawgym("tasks", "list", tasks, env={})
    assert ok.returncode == 0 and "warning" not in ok.stderr, ok.stderr


def test_installing_settings_does_not_warn_again(monkeypatch):
    monkeypatch.setenv("CLAWGYM_MAX_FILE_BYTES", "10")
    with pytest.warns(DeprecationWarning):
        settings.current()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        settings.current()  # same environment: parsed once, warned once
