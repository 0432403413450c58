"""OpenClaw-compatible tools, run against one sandbox.

Names, parameters and JSON schemas follow OpenClaw's (`read`, `write`, `edit`, `exec`,
`apply_patch`, `process`) so trajectories transfer between the two. File tools work on the
sandbox's copy of the workspace from outside (fast), after resolving every path and symlink to
make sure it stays inside; commands run inside the sandbox. Every failure is a `ToolError`: it goes back to the
model as the tool's result, never up the stack.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from clawgym.errors import ClawGymError
from clawgym.sandbox import Sandbox
from clawgym.sandbox._base import Spawned

READ_MAX_LINES = 2000
READ_MAX_BYTES = 50_000
OUTPUT_MAX_CHARS = 30_000


class ToolError(ClawGymError):
    """A tool call failed in a way the model can act on; the message is its result."""


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": required, "additionalProperties": False}}}


TOOL_SCHEMAS: list[dict[str, Any]] = [
    _fn("read", "Read a text file in the workspace. Long files are returned in pages: use offset "
        "(1-based line) and limit (lines) to read further.",
        {"path": {"type": "string", "description": "Path relative to the workspace (or absolute inside it)."},
         "offset": {"type": "integer", "description": "First line to read, 1-based."},
         "limit": {"type": "integer", "description": "Most lines to return."}}, ["path"]),
    _fn("write", "Create or overwrite a file with the given content; parent folders are created.",
        {"path": {"type": "string"}, "content": {"type": "string"}}, ["path", "content"]),
    _fn("edit", "Replace exact text in a file. old_string must match exactly once unless replace_all.",
        {"path": {"type": "string"}, "old_string": {"type": "string"}, "new_string": {"type": "string"},
         "replace_all": {"type": "boolean", "description": "Replace every occurrence."}},
        ["path", "old_string", "new_string"]),
    _fn("exec", "Run a shell command (bash) in the workspace. Set background=true for long-running "
        "commands and manage them with the process tool.",
        {"command": {"type": "string"},
         "workdir": {"type": "string", "description": "Folder to run in (default: the workspace)."},
         "timeout": {"type": "number", "description": "Seconds before the command is killed."},
         "background": {"type": "boolean", "description": "Start and return a sessionId at once."},
         "env": {"type": "object", "additionalProperties": {"type": "string"}}}, ["command"]),
    _fn("apply_patch", "Apply a patch to several files at once (all or nothing). Format: '*** Begin Patch', "
        "then '*** Add File: p' (+lines), '*** Delete File: p', or '*** Update File: p' (optionally "
        "'*** Move to: q') with '@@' hunks of ' ' context, '-' removed and '+' added lines, then '*** End Patch'.",
        {"input": {"type": "string", "description": "The whole patch."}}, ["input"]),
    _fn("process", "Manage background commands started with exec background=true.",
        {"action": {"type": "string", "enum": ["list", "poll", "log", "write", "kill"]},
         "sessionId": {"type": "string"},
         "data": {"type": "string", "description": "Text to write to the process's stdin (action=write)."},
         "offset": {"type": "integer"}, "limit": {"type": "integer"}}, ["action"]),
]
TOOL_NAMES = [t["function"]["name"] for t in TOOL_SCHEMAS]
_ALIASES = {"file_path": "path", "oldText": "old_string", "newText": "new_string", "old_str": "old_string",
            "new_str": "new_string", "cmd": "command", "session_id": "sessionId"}


@dataclass
class ToolResult:
    content: str
    is_error: bool = False
    seconds: float = 0.0


@dataclass
class ToolBox:
    """The tools of one rollout, bound to its sandbox."""

    sandbox: Sandbox
    exec_timeout_s: float = 120.0
    sessions: dict[str, Spawned] = field(default_factory=dict)

    def schemas(self) -> list[dict[str, Any]]:
        return TOOL_SCHEMAS

    def call(self, name: str, arguments: dict[str, Any], *, time_left_s: float | None = None) -> ToolResult:
        if name not in TOOL_NAMES:
            return ToolResult(f"Error: unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}", True)
        args = {_ALIASES.get(k, k): v for k, v in arguments.items()}
        try:
            if name == "exec":
                return ToolResult(self._exec(args, time_left_s))
            return ToolResult(getattr(self, "_" + name)(args))
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", True)
        except (TypeError, ValueError, KeyError) as exc:
            return ToolResult(f"Error: bad arguments for {name}: {exc}", True)

    # -- paths -------------------------------------------------------------------------------
    def resolve(self, raw: Any) -> Path:
        """Host path of a workspace path; refuses anything that leaves the workspace."""
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError("path must be a non-empty string")
        p = PurePosixPath(raw)
        mount = PurePosixPath(self.sandbox.path)
        if p.is_absolute():
            if p != mount and mount not in p.parents:
                raise ToolError(f"{raw} is outside the workspace {mount}")
            p = p.relative_to(mount)
        root = os.path.realpath(self.sandbox.host_workspace)
        host = os.path.realpath(os.path.join(root, *p.parts))
        if host != root and not host.startswith(root + os.sep):
            raise ToolError(f"{raw} resolves outside the workspace")
        return Path(host)

    def _rel(self, host: Path) -> str:
        return str(host.relative_to(os.path.realpath(self.sandbox.host_workspace)))

    def _adopt(self, path: Path) -> None:
        """Give files we create from outside to the sandbox's uid, so the agent can change them."""
        uid = self.sandbox.uid
        if uid is None:
            return
        root = Path(os.path.realpath(self.sandbox.host_workspace))
        for p in [path, *path.parents]:
            if p == root:
                break
            os.chown(p, uid, uid, follow_symlinks=False)

    # -- file tools --------------------------------------------------------------------------
    def _read(self, args: dict[str, Any]) -> str:
        host = self.resolve(args["path"])
        if not host.is_file():
            raise ToolError(f"{args['path']}: no such file" if not host.exists() else f"{args['path']} is not a file")
        data = host.read_bytes()
        if b"\0" in data[:8192]:
            raise ToolError(f"{args['path']} is a binary file ({len(data)} bytes); inspect it with exec")
        lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
        offset = max(int(args.get("offset") or 1), 1)
        limit = int(args.get("limit") or READ_MAX_LINES)
        if offset > max(len(lines), 1):
            raise ToolError(f"offset {offset} is past the end of {args['path']} ({len(lines)} lines)")
        chunk, size = [], 0
        for line in lines[offset - 1: offset - 1 + min(limit, READ_MAX_LINES)]:
            if size + len(line) > READ_MAX_BYTES and chunk:
                break
            chunk.append(line)
            size += len(line)
        text = "".join(chunk)
        end = offset - 1 + len(chunk)
        if end < len(lines):
            text += f"\n[Showing lines {offset}-{end} of {len(lines)}. Use offset={end + 1} to continue.]"
        return text

    def _write(self, args: dict[str, Any]) -> str:
        content = args["content"]
        if not isinstance(content, str):
            raise ToolError("content must be a string")
        host = self.resolve(args["path"])
        if host.is_dir():
            raise ToolError(f"{args['path']} is a folder")
        host.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        host.write_bytes(data)
        self._adopt(host)
        return f"Wrote {len(data)} bytes to {self._rel(host)}"

    def _edit(self, args: dict[str, Any]) -> str:
        old, new = args["old_string"], args["new_string"]
        if not isinstance(old, str) or not isinstance(new, str):
            raise ToolError("old_string and new_string must be strings")
        if old == "":
            raise ToolError("old_string is empty; use write to create a file")
        host = self.resolve(args["path"])
        if not host.is_file():
            raise ToolError(f"{args['path']}: no such file")
        text = host.read_text(encoding="utf-8", errors="surrogateescape")
        count = text.count(old)
        if count == 0:
            raise ToolError(f"old_string not found in {args['path']}; read the file and copy the text exactly")
        if count > 1 and not args.get("replace_all"):
            raise ToolError(f"old_string matches {count} times in {args['path']}; add context to make it "
                            "unique or set replace_all=true")
        host.write_text(text.replace(old, new) if args.get("replace_all") else text.replace(old, new, 1),
                        encoding="utf-8", errors="surrogateescape")
        return f"Replaced {count if args.get('replace_all') else 1} occurrence(s) in {self._rel(host)}"

    # -- commands ----------------------------------------------------------------------------
    def _cwd(self, args: dict[str, Any]) -> str:
        if not args.get("workdir"):
            return self.sandbox.path
        host = self.resolve(args["workdir"])
        if not host.is_dir():
            raise ToolError(f"workdir {args['workdir']} is not a folder")
        rel = self._rel(host)
        return self.sandbox.path if rel == "." else f"{self.sandbox.path}/{rel}"

    def _exec(self, args: dict[str, Any], time_left_s: float | None) -> str:
        command = args["command"]
        if not isinstance(command, str) or not command.strip():
            raise ToolError("command must be a non-empty string")
        env = {str(k): str(v) for k, v in (args.get("env") or {}).items()}
        if args.get("background"):
            sid = uuid.uuid4().hex[:8]
            self.sessions[sid] = self.sandbox.spawn(command, env=env, cwd=self._cwd(args))
            return f"Started in the background: sessionId={sid}. Use the process tool to poll, log or kill it."
        timeout = float(args.get("timeout") or self.exec_timeout_s)
        if time_left_s is not None:
            timeout = max(1.0, min(timeout, time_left_s))
        r = self.sandbox.exec(command, timeout_s=timeout, env=env, cwd=self._cwd(args))
        parts = [r.stdout]
        if r.stderr:
            parts.append(("\n" if r.stdout and not r.stdout.endswith("\n") else "") + r.stderr)
        out = "".join(parts)
        if len(out) > OUTPUT_MAX_CHARS:
            out = out[:OUTPUT_MAX_CHARS] + f"\n[output truncated: {len(out) - OUTPUT_MAX_CHARS} more characters]"
        notes = [f"exit code {r.exit_code}"] + ([r.note] if r.note else [])
        return (out + ("\n" if out and not out.endswith("\n") else "") + f"[{'; '.join(notes)}]")

    def _apply_patch(self, args: dict[str, Any]) -> str:
        from clawgym.agent._patch import PatchError, apply_update, parse_patch

        try:
            ops = parse_patch(args["input"])
            planned: list[tuple[str, Path, str | None]] = []  # (mark, path, new text or None)
            for op in ops:
                host = self.resolve(op.path)
                if op.kind == "add":
                    if host.exists():
                        raise PatchError(f"{op.path} already exists; use Update File")
                    planned.append(("A", host, "\n".join(op.lines) + "\n"))
                elif op.kind == "delete":
                    if not host.is_file():
                        raise PatchError(f"{op.path}: no such file")
                    planned.append(("D", host, None))
                else:
                    if not host.is_file():
                        raise PatchError(f"{op.path}: no such file")
                    text = apply_update(host.read_text(encoding="utf-8", errors="surrogateescape"), op)
                    if op.move_to:
                        planned += [("D", host, None), ("M", self.resolve(op.move_to), text)]
                    else:
                        planned.append(("M", host, text))
        except PatchError as exc:
            raise ToolError(f"patch not applied (no file changed): {exc}") from None
        for mark, host, text in planned:  # everything checked: now write
            if text is None:
                host.unlink()
            else:
                host.parent.mkdir(parents=True, exist_ok=True)
                host.write_text(text, encoding="utf-8", errors="surrogateescape")
                self._adopt(host)
        return "Success. Updated the following files:\n" + "\n".join(f"{m} {self._rel(h)}" for m, h, _ in planned)

    def _process(self, args: dict[str, Any]) -> str:
        action = args["action"]
        if action == "list":
            if not self.sessions:
                return "No background sessions."
            return "\n".join(f"{sid}: {'running' if s.poll() is None else f'exited {s.poll()}'}"
                             for sid, s in self.sessions.items())
        sid = args.get("sessionId")
        if sid not in self.sessions:
            raise ToolError(f"no session {sid!r}; known: {', '.join(self.sessions) or 'none'}")
        s = self.sessions[sid]
        state = "running" if s.poll() is None else f"exited with code {s.poll()}"
        if action == "poll":
            return f"{sid}: {state}\n{s.output()[-4000:]}"
        if action == "log":
            lines = s.output().splitlines()
            offset = max(int(args.get("offset") or 1), 1)
            limit = int(args.get("limit") or 200)
            return "\n".join(lines[offset - 1: offset - 1 + limit]) + f"\n[{sid}: {state}, {len(lines)} lines]"
        if action == "write":
            if s.poll() is not None:
                raise ToolError(f"session {sid} has {state}")
            s.write(str(args.get("data") or "").encode())
            return f"Wrote to {sid}"
        if action == "kill":
            s.kill()
            return f"Killed {sid}"
        raise ToolError(f"unknown action {action!r}; use list, poll, log, write or kill")

    def close(self) -> None:
        for s in self.sessions.values():
            s.kill()
