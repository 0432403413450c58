"""Checks run forked from a server that already ran `site.main()` and imported what checks mostly
import (json, csv, re, pathlib): what a check sees must still be what a fresh `python3 -E -s
check.py` sees (sys.path, site's modules), including a module of its own folder that shadows one
of those."""

from __future__ import annotations

from clawgym.sandbox import create_sandbox
from clawgym.tasks import TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

CHECK = ("import json, sys\n"
         "import pathlib\n"
         "print(json.dumps({'json': json.__file__, 'shadow': getattr(json, 'SHADOW', None),\n"
         "                  'pathlib_json': pathlib.Path.__module__, 'path': sys.path,\n"
         "                  'site': sorted(m for m in sys.modules if 'site' in m or 'distutils' in m)}))\n"
         "json.SHADOW = 'leaked'\n")


def _both(sb, path: str) -> tuple[str, str]:
    fresh = sb.exec([sb.python, "-E", "-s", path], timeout_s=30)
    forked = sb.run_python(path, timeout_s=30)
    assert fresh.exit_code == 0 and forked.exit_code == 0, (fresh, forked)
    return fresh.stdout, forked.stdout


def test_preloaded_modules_are_the_ones_a_fresh_interpreter_imports():
    with create_sandbox("bwrap", files=[TaskFile(path="reward/check.py", data=CHECK.encode())]) as sb:
        path = f"{sb.path}/reward/check.py"
        first = _both(sb, path)
        assert first[0] == first[1] and '"shadow": null' in first[1]
        assert sb.run_python(path, timeout_s=30).stdout == first[1]  # nothing of one run reaches the next


def test_a_module_in_the_checks_folder_shadows_a_preloaded_one():
    files = [TaskFile(path="reward/check.py", data=CHECK.encode()),
             TaskFile(path="reward/json.py", data=b"SHADOW = 'mine'\ndef dumps(o):\n    return repr(sorted(o.items()))\n")]
    with create_sandbox("bwrap", files=files) as sb:
        path = f"{sb.path}/reward/check.py"
        sb.run_python(path, timeout_s=30)  # the server has preloaded by now
        fresh, forked = _both(sb, path)
        assert fresh == forked and "'mine'" in forked and "/reward/json.py" in forked
