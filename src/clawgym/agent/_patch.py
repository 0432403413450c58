"""OpenClaw's `apply_patch` format: one patch, many files, applied all or nothing.

    *** Begin Patch
    *** Add File: path          then lines starting with '+'
    *** Delete File: path
    *** Update File: path       optionally '*** Move to: new/path', then hunks:
    @@ optional context line    lines starting with ' ' (context), '-' (remove), '+' (add)
    *** End of File             optional
    *** End Patch
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PatchError(ValueError):
    """The patch is malformed or does not apply; nothing has been written."""


@dataclass
class FileOp:
    kind: str  # add | delete | update
    path: str
    move_to: str | None = None
    lines: list[str] = field(default_factory=list)          # add: the new file's lines
    hunks: list[tuple[str, list[str]]] = field(default_factory=list)  # update: (anchor, lines)


def parse_patch(text: str) -> list[FileOp]:
    lines = text.strip("\n").splitlines()
    if lines and lines[0].strip().startswith("<<"):  # a heredoc wrapper some models add
        lines = lines[1:-1] if lines[-1].strip() in ("EOF", "'EOF'", '"EOF"') else lines[1:]
    if not lines or lines[0].strip() != "*** Begin Patch":
        raise PatchError("the patch must start with '*** Begin Patch'")
    if lines[-1].strip() != "*** End Patch":
        raise PatchError("the patch must end with '*** End Patch'")
    ops: list[FileOp] = []
    current: FileOp | None = None
    for n, line in enumerate(lines[1:-1], 2):
        header = next((h for h in ("*** Add File: ", "*** Delete File: ", "*** Update File: ") if line.startswith(h)), None)
        if header:
            kind = header.split()[1].lower()
            current = FileOp(kind=kind, path=line[len(header):].strip())
            ops.append(current)
            continue
        if current is None:
            raise PatchError(f"line {n}: expected a '*** Add/Delete/Update File:' header, got {line!r}")
        if line.startswith("*** Move to: ") and current.kind == "update":
            current.move_to = line[len("*** Move to: "):].strip()
        elif line.strip() == "*** End of File":
            continue
        elif current.kind == "add":
            if not line.startswith("+"):
                raise PatchError(f"line {n}: lines of an added file must start with '+'")
            current.lines.append(line[1:])
        elif current.kind == "update":
            if line.startswith("@@"):
                current.hunks.append((line[2:].strip(), []))
            elif line[:1] in (" ", "-", "+") or line == "":
                if not current.hunks:
                    current.hunks.append(("", []))
                current.hunks[-1][1].append(line if line else " ")
            else:
                raise PatchError(f"line {n}: unexpected {line!r} in an update")
        else:
            raise PatchError(f"line {n}: a deleted file takes no content")
    if not ops:
        raise PatchError("the patch changes no file")
    return ops


def _find(haystack: list[str], needle: list[str], start: int) -> int:
    for strip in (False, True):  # exact first, then ignoring trailing whitespace
        norm = (lambda s: s.rstrip()) if strip else (lambda s: s)
        target = [norm(x) for x in needle]
        for i in range(start, len(haystack) - len(needle) + 1):
            if [norm(x) for x in haystack[i:i + len(needle)]] == target:
                return i
    return -1


def apply_update(text: str, op: FileOp) -> str:
    lines = text.splitlines()
    pos = 0
    for anchor, hunk in op.hunks:
        if anchor:
            at = _find(lines, [anchor], pos)
            if at < 0:
                raise PatchError(f"{op.path}: context line {anchor!r} not found")
            pos = at
        old = [h[1:] for h in hunk if h[0] in " -"]
        new = [h[1:] for h in hunk if h[0] in " +"]
        at = _find(lines, old, pos) if old else len(lines)
        if at < 0:
            raise PatchError(f"{op.path}: these lines were not found:\n" + "\n".join(old[:8]))
        lines[at:at + len(old)] = new
        pos = at + len(new)
    return "\n".join(lines) + ("\n" if lines else "")
