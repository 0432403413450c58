"""The isolation suite from a clone under a private folder.

Cloning into root's home (0700 on Debian) and running the tests as root is the most common first
run. There every sandbox runs as a throw-away uid that cannot enter the clone, so a test (or a
backend) that silently relies on the repository being world-readable fails only there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, REPO, requires_bwrap

pytestmark = requires_bwrap

_FILES = ("pyproject.toml", "tests/__init__.py", "tests/conftest.py", "tests/sandbox/__init__.py",
          "tests/sandbox/test_isolation.py")


def test_isolation_suite_passes_from_a_private_parent_folder(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root's sandboxes run as a throw-away uid")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    clone = home / "clawgym"
    shutil.copytree(REPO / "src", clone / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(FIXTURES, clone / "tests" / "data" / "clawgym")
    for rel in _FILES:
        (clone / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, clone / rel)
    env = {**os.environ, "PYTHONPATH": str(clone / "src")}
    where = subprocess.run([sys.executable, "-c", "import clawgym; print(clawgym.__file__)"], cwd=clone, env=env,
                           capture_output=True, text=True, timeout=120)
    assert where.stdout.startswith(str(clone)), where  # the copy runs, not the repository
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sandbox/test_isolation.py"],
                       cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and " passed" in r.stdout and "failed" not in r.stdout, r.stdout[-4000:]
