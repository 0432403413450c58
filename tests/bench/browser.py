"""Headless Chromium for page tests (flags this machine needs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(url: str, tmp: Path, budget_ms: int | None = None) -> tuple[str, list[str]]:
    """Load a page headless; return its DOM after scripts ran, and the console lines it logged."""
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--log-level=0"]
    if budget_ms:
        args.append(f"--virtual-time-budget={budget_ms}")
    r = subprocess.run([*args, "--dump-dom", url], capture_output=True, text=True, timeout=180)
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    return r.stdout, console
