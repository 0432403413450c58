"""OpenClaw-compatible tools, run against one sandbox.

Names, parameters and JSON schemas follow OpenClaw's (`read`, `write`, `edit`, `exec`,
`apply_patch`, `process`) so trajectories transfer between the two. Every tool runs inside
the sandbox, through its session: a path is resolved only in the sandbox's own mount namespace by
its own uid, so a symlink swapped in by a background process can reach nothing the sandbox could
not already reach. Every failure is a `ToolError` (an OS error included): it goes back to the
model as the tool's result, never up the stack.
"""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from clawgym.errors import ClawGymError
from clawgym.sandbox import OperationError, Process, Sandbox, SandboxLimitExceeded

READ_MAX_LINES = 2000
READ_MAX_BYTES = 50_000
OUTPUT_MAX_CHARS = 30_000
EDIT_MAX_BYTES = 16 << 20  # edit and apply_patch load a file whole (in the host: bounded)
STDIN_WRITE_S = 5.0


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
         "replace_all": {"type": "boolean", "description": "Replace every occurrence."},
         "edits": {"type": "array", "description": "OpenClaw's form: several {oldText, newText} in order.",
                   "items": {"type": "object", "properties": {"oldText": {"type": "string"},
                                                               "newText": {"type": "string"}}}}},
        ["path"]),
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
    """The tools of one rollout, bound to its sandbox session."""

    sandbox: Sandbox
    exec_timeout_s: float = 120.0
    sessions: dict[str, Process] = field(default_factory=dict)

    def schemas(self) -> list[dict[str, Any]]:
        return TOOL_SCHEMAS

    def call(self, name: str, arguments: dict[str, Any], *, time_left_s: float | None = None) -> ToolResult:
        if name not in TOOL_NAMES:
            return ToolResult(f"Error: unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}", True)
        if not isinstance(arguments, dict):
            return ToolResult(f"Error: bad arguments for {name}: expected a JSON object", True)
        args = {_ALIASES.get(k, k): v for k, v in arguments.items()}
        try:
            if name == "exec":
                return ToolResult(self._exec(args, time_left_s))
            if name == "process":
                return ToolResult(self._process(args, time_left_s))
            return ToolResult(getattr(self, "_" + name)(args))
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", True)
        except OperationError as exc:  # an OS error inside the sandbox: the model's to act on
            return ToolResult(f"Error: {exc}", True)
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            return ToolResult(f"Error: bad arguments for {name}: {exc}", True)

    # -- paths -------------------------------------------------------------------------------
    def resolve(self, raw: Any) -> str:
        """The in-sandbox path of a workspace path, refused when it leaves the workspace by its
        text ('..', another absolute path). Links are resolved by the sandbox itself, which
        refuses a file outside the workspace on the file it actually opened."""
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError("path must be a non-empty string")
        if "\0" in raw:
            raise ToolError("path contains a NUL byte")
        mount = PurePosixPath(self.sandbox.path)
        p = PurePosixPath(raw)
        if not p.is_absolute():
            p = mount / p
        norm = PurePosixPath(posixpath.normpath(str(p)))
        if norm != mount and mount not in norm.parents:
            raise ToolError(f"{raw} is outside the workspace {mount}")
        return str(norm)

    def _rel(self, path: str) -> str:
        rel = posixpath.relpath(path, self.sandbox.path)
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    def _stat(self, path: str):
        try:
            return self.sandbox.stat(path)
        except OperationError:
            return None

    # -- file tools --------------------------------------------------------------------------
    def _read(self, args: dict[str, Any]) -> str:
        path = self.resolve(args["path"])
        st = self._stat(path)
        if st is None:
            raise ToolError(f"{args['path']}: no such file")
        if st.type == "symlink":
            pass  # the sandbox refuses a final link itself; say so precisely below
        elif st.type != "file":
            raise ToolError(f"{args['path']} is not a file ({st.type})")
        offset = max(int(args.get("offset") or 1), 1)
        limit = max(min(int(args.get("limit") or READ_MAX_LINES), READ_MAX_LINES), 1)
        try:
            page = self.sandbox.read_lines(path, offset=offset, limit=limit, max_bytes=READ_MAX_BYTES, confine=True)
        except OperationError as exc:
            if st.type == "symlink":
                raise ToolError(f"{args['path']} is a symbolic link; read the file it points to") from None
            raise ToolError(str(exc)) from None
        if page.binary:
            raise ToolError(f"{args['path']} is a binary file ({page.size} bytes); inspect it with exec")
        if offset > max(page.total_lines, 1):
            raise ToolError(f"offset {offset} is past the end of {args['path']} ({page.total_lines} lines)")
        end = offset - 1 + page.lines
        text = page.text
        if end < page.total_lines:
            text += f"\n[Showing lines {offset}-{end} of {page.total_lines}. Use offset={end + 1} to continue.]"
        return text

    def _write(self, args: dict[str, Any]) -> str:
        content = args["content"]
        if not isinstance(content, str):
            raise ToolError("content must be a string")
        path = self.resolve(args["path"])
        st = self._stat(path)
        if st is not None and st.type == "dir":
            raise ToolError(f"{args['path']} is a folder")
        data = content.encode("utf-8", "surrogateescape")
        self.sandbox.write_file(path, data, confine=True)
        return f"Wrote {len(data)} bytes to {self._rel(path)}"

    def _load(self, raw: str, path: str) -> str:
        st = self._stat(path)
        if st is None or st.type != "file":
            raise ToolError(f"{raw}: no such file" if st is None else f"{raw} is not a regular file ({st.type})")
        if st.size > EDIT_MAX_BYTES:
            raise ToolError(f"{raw} is {st.size} bytes, over the {EDIT_MAX_BYTES}-byte limit of this tool; use exec")
        return self.sandbox.read_file(path, max_bytes=EDIT_MAX_BYTES, confine=True).decode("utf-8", "surrogateescape")

    def _edit(self, args: dict[str, Any]) -> str:
        """One replacement (old_string/new_string), or OpenClaw's batch form `edits: [{oldText,
        newText}, ...]`, applied in order, all or nothing."""
        if "edits" in args:
            edits = args["edits"]
            if not isinstance(edits, list) or not edits or not all(isinstance(e, dict) for e in edits):
                raise ToolError("edits must be a non-empty list of {oldText, newText} objects")
            pairs = [(e.get("oldText", e.get("old_string")), e.get("newText", e.get("new_string"))) for e in edits]
        else:
            pairs = [(args["old_string"], args["new_string"])]
        path = self.resolve(args["path"])
        text = self._load(args["path"], path)
        replaced = 0
        for old, new in pairs:
            if not isinstance(old, str) or not isinstance(new, str):
                raise ToolError("old_string and new_string must be strings")
            if old == "":
                raise ToolError("old_string is empty; use write to create a file")
            count = text.count(old)
            if count == 0:
                raise ToolError(f"old_string not found in {args['path']}; read the file and copy the text exactly")
            if count > 1 and not args.get("replace_all"):
                raise ToolError(f"old_string matches {count} times in {args['path']}; add context to make it "
                                "unique or set replace_all=true")
            text = text.replace(old, new) if args.get("replace_all") else text.replace(old, new, 1)
            replaced += count if args.get("replace_all") else 1
        self.sandbox.write_file(path, text.encode("utf-8", "surrogateescape"), confine=True)
        return f"Replaced {replaced} occurrence(s) in {self._rel(path)}"

    # -- commands ----------------------------------------------------------------------------
    def _cwd(self, args: dict[str, Any]) -> str:
        if not args.get("workdir"):
            return self.sandbox.path
        path = self.resolve(args["workdir"])
        st = self._stat(path)
        if st is None or st.type != "dir":
            raise ToolError(f"workdir {args['workdir']} is not a folder")
        return path

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
        if not timeout > 0 or timeout == float("inf"):
            timeout = self.exec_timeout_s
        if time_left_s is not None:
            timeout = max(1.0, min(timeout, time_left_s))
        r = self.sandbox.exec(command, timeout_s=timeout, env=env, cwd=self._cwd(args))
        if r.memory_limit:  # a breach of the whole sandbox ends the rollout, with the reason
            raise SandboxLimitExceeded(f"{self.sandbox.memory_limit_reason()}, running: {command[:200]}")
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
            planned: list[tuple[str, str, str | None]] = []  # (mark, path, new text or None)
            for op in ops:
                path = self.resolve(op.path)
                if op.kind == "add":
                    if self._stat(path) is not None:
                        raise PatchError(f"{op.path} already exists; use Update File")
                    planned.append(("A", path, "\n".join(op.lines) + "\n"))
                elif op.kind == "delete":
                    st = self._stat(path)
                    if st is None or st.type != "file":
                        raise PatchError(f"{op.path}: no such file")
                    planned.append(("D", path, None))
                else:
                    try:
                        text = apply_update(self._load(op.path, path), op)
                    except ToolError as exc:
                        raise PatchError(str(exc)) from None
                    if op.move_to:
                        planned += [("D", path, None), ("M", self.resolve(op.move_to), text)]
                    else:
                        planned.append(("M", path, text))
        except PatchError as exc:
            raise ToolError(f"patch not applied (no file changed): {exc}") from None
        for mark, path, text in planned:  # everything checked: now write
            if text is None:
                self.sandbox.remove(path, missing_ok=True)
            else:
                self.sandbox.write_file(path, text.encode("utf-8", "surrogateescape"), confine=True)
        return "Success. Updated the following files:\n" + "\n".join(f"{m} {self._rel(p)}" for m, p, _ in planned)

    def _process(self, args: dict[str, Any], time_left_s: float | None = None) -> str:
        action = args["action"]
        if action == "list":
            if not self.sessions:
                return "No background sessions."
            return "\n".join(f"{sid}: {'running' if (rc := s.poll()) is None else f'exited {rc}'}"
                             for sid, s in self.sessions.items())
        sid = args.get("sessionId")
        if sid not in self.sessions:
            raise ToolError(f"no session {sid!r}; known: {', '.join(self.sessions) or 'none'}")
        s = self.sessions[sid]
        rc = s.poll()
        state = "running" if rc is None else f"exited with code {rc}"
        if action == "poll":
            return f"{sid}: {state}\n{s.output()[-4000:]}"
        if action == "log":
            lines = s.output().splitlines()
            offset = max(int(args.get("offset") or 1), 1)
            limit = int(args.get("limit") or 200)
            return "\n".join(lines[offset - 1: offset - 1 + limit]) + f"\n[{sid}: {state}, {len(lines)} lines]"
        if action == "write":
            if rc is not None:
                raise ToolError(f"session {sid} has {state}")
            data = str(args.get("data") or "").encode("utf-8", "surrogateescape")
            wait = STDIN_WRITE_S if time_left_s is None else max(0.1, min(STDIN_WRITE_S, time_left_s))
            n = s.write(data, timeout_s=wait)
            if n < len(data):
                return f"Wrote {n} of {len(data)} bytes to {sid}: it is not reading its input (waited {wait:g}s)"
            return f"Wrote {n} bytes to {sid}"
        if action == "kill":
            s.kill()
            return f"Killed {sid}"
        raise ToolError(f"unknown action {action!r}; use list, poll, log, write or kill")

    def close(self) -> None:
        for s in self.sessions.values():
            try:
                s.kill()
            except ClawGymError:
                pass
