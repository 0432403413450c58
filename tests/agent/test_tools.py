"""The OpenClaw-compatible tools against a real sandbox."""

from __future__ import annotations

import time

import pytest

from clawgym.agent import ToolBox
from clawgym.sandbox import create_sandbox
from clawgym.tasks import TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap


@pytest.fixture
def box():
    files = [TaskFile(path="input/a.txt", data=b"".join(b"line %d\n" % i for i in range(1, 3001))),
             TaskFile(path="notes.md", data=b"x = 1\ny = 1\n")]
    with create_sandbox("bwrap", files=files) as sb:
        tb = ToolBox(sb)
        yield tb
        tb.close()


def test_read_pages_long_files(box):
    first = box.call("read", {"path": "input/a.txt"}).content
    assert first.startswith("line 1\n") and "Use offset=2001 to continue" in first
    page = box.call("read", {"path": "/root/.openclaw/workspace/input/a.txt", "offset": 2999, "limit": 5}).content
    assert page == "line 2999\nline 3000\n"
    assert box.call("read", {"path": "nope.txt"}).is_error


def test_write_and_edit(box):
    assert "Wrote 6 bytes" in box.call("write", {"path": "out/new.txt", "content": "hello\n"}).content
    assert box.call("exec", {"command": "cat out/new.txt; echo more >> out/new.txt"}).content.startswith("hello")
    ambiguous = box.call("edit", {"path": "notes.md", "old_string": "= 1", "new_string": "= 2"})
    assert ambiguous.is_error and "matches 2 times" in ambiguous.content
    missing = box.call("edit", {"path": "notes.md", "old_string": "z = 9", "new_string": "q"})
    assert missing.is_error and "not found" in missing.content
    assert not box.call("edit", {"path": "notes.md", "old_string": "= 1", "new_string": "= 2", "replace_all": True}).is_error
    assert box.call("read", {"path": "notes.md"}).content == "x = 2\ny = 2\n"
    assert not box.call("edit", {"file_path": "notes.md", "oldText": "x = 2", "newText": "x = 3"}).is_error


def test_paths_cannot_escape_the_workspace(box):
    for path in ("../etc/passwd", "/etc/passwd", "input/../../x"):
        r = box.call("read", {"path": path})
        assert r.is_error and "outside the workspace" in r.content
    box.call("exec", {"command": "ln -s /etc/hostname link; ln -s /root host_root"})
    assert box.call("read", {"path": "link"}).is_error
    assert box.call("write", {"path": "host_root/evil.txt", "content": "x"}).is_error
    assert box.call("write", {"path": "link", "content": "x"}).is_error


def test_exec_reports_exit_code_timeout_and_caps_output(box):
    r = box.call("exec", {"command": "echo out; echo err >&2; exit 3"}).content
    assert "out" in r and "err" in r and "[exit code 3]" in r
    t = time.monotonic()
    slow = box.call("exec", {"command": "sleep 30", "timeout": 1}).content
    assert "timed out" in slow and time.monotonic() - t < 5
    big = box.call("exec", {"command": "head -c 100000 /dev/zero | tr '\\0' a"}).content
    assert "[output truncated: 70000 more characters]" in big
    assert "workdir" in box.call("exec", {"command": "pwd", "workdir": "nope"}).content


def test_background_sessions_with_process(box):
    started = box.call("exec", {"command": "for i in 1 2 3; do echo tick $i; sleep 0.3; done", "background": True})
    sid = started.content.split("sessionId=")[1].split(".")[0]
    assert sid in box.call("process", {"action": "list"}).content
    time.sleep(1.5)
    assert "exited with code 0" in box.call("process", {"action": "poll", "sessionId": sid}).content
    assert box.call("process", {"action": "log", "sessionId": sid, "offset": 2, "limit": 1}).content.startswith("tick 2")
    cat = box.call("exec", {"command": "cat", "background": True}).content.split("sessionId=")[1].split(".")[0]
    box.call("process", {"action": "write", "sessionId": cat, "data": "echoed\n"})
    time.sleep(0.5)
    assert "echoed" in box.call("process", {"action": "poll", "sessionId": cat}).content
    assert "Killed" in box.call("process", {"action": "kill", "sessionId": cat}).content
    assert box.call("process", {"action": "poll", "sessionId": "zzz"}).is_error


def test_bad_arguments_are_tool_errors(box):
    assert "bad arguments" in box.call("write", {"path": "a"}).content
    assert box.call("process", {"action": "dance", "sessionId": "x"}).is_error


PATCH = """*** Begin Patch
*** Add File: out/new.txt
+first
+second
*** Update File: notes.md
@@ x = 1
-y = 1
+y = 2
+z = 3
*** Delete File: input/a.txt
*** End Patch"""


def test_apply_patch_adds_updates_and_deletes(box):
    r = box.call("apply_patch", {"input": PATCH})
    assert not r.is_error and r.content.splitlines()[1:] == ["A out/new.txt", "M notes.md", "D input/a.txt"]
    assert box.call("read", {"path": "out/new.txt"}).content == "first\nsecond\n"
    assert box.call("read", {"path": "notes.md"}).content == "x = 1\ny = 2\nz = 3\n"
    assert box.call("read", {"path": "input/a.txt"}).is_error
    moved = box.call("apply_patch", {"input": "*** Begin Patch\n*** Update File: notes.md\n*** Move to: docs/n.md\n"
                                              " x = 1\n-y = 2\n+y = 9\n*** End Patch"})
    assert not moved.is_error and box.call("read", {"path": "docs/n.md"}).content == "x = 1\ny = 9\nz = 3\n"


def test_apply_patch_is_all_or_nothing(box):
    bad = PATCH.replace("-y = 1", "-y = 7")
    r = box.call("apply_patch", {"input": bad})
    assert r.is_error and "no file changed" in r.content
    assert box.call("read", {"path": "notes.md"}).content == "x = 1\ny = 1\n"  # untouched
    assert box.call("read", {"path": "out/new.txt"}).is_error and not box.call("read", {"path": "input/a.txt"}).is_error
    escape = box.call("apply_patch", {"input": "*** Begin Patch\n*** Add File: ../evil.txt\n+x\n*** End Patch"})
    assert escape.is_error and "outside the workspace" in escape.content
    assert box.call("apply_patch", {"input": "not a patch"}).is_error


def test_edit_accepts_openclaws_batch_form(box):
    r = box.call("edit", {"path": "notes.md", "edits": [{"oldText": "x = 1", "newText": "x = 5"},
                                                         {"oldText": "y = 1", "newText": "y = 6"}]})
    assert not r.is_error and "Replaced 2" in r.content
    assert box.call("read", {"path": "notes.md"}).content == "x = 5\ny = 6\n"
    bad = box.call("edit", {"path": "notes.md", "edits": [{"oldText": "x = 5", "newText": "x = 7"},
                                                           {"oldText": "nope", "newText": "z"}]})
    assert bad.is_error and box.call("read", {"path": "notes.md"}).content == "x = 5\ny = 6\n"  # all or nothing
    assert box.call("edit", {"path": "notes.md"}).is_error
