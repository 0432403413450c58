from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "clawgym"
REPO_TASKS = FIXTURES / "tasks"
HF_JSONL = FIXTURES / "syn_task_sample.jsonl"


def pytest_collection_modifyitems(config, items):
    if not FIXTURES.is_dir():
        raise pytest.UsageError(f"fixtures not found at {FIXTURES}: the repository is incomplete")


@pytest.fixture(scope="session")
def repo_tasks():
    from clawgym.tasks import load_tasks

    return load_tasks(REPO_TASKS)


@pytest.fixture(scope="session")
def hf_tasks():
    from clawgym.tasks import load_tasks

    return load_tasks(HF_JSONL)


requires_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
