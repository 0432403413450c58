"""File-level safety shared by every format: path checks, size caps, atomic writes.

Every reader funnels paths through `clean_path` and every writer through `atomic_dir` /
`atomic_file`, so no format can let a path escape its root or leave half a dataset behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from clawgym import files as shared, settings
from clawgym.errors import Problem, TaskSpecError
from clawgym.tasks._model import TaskFile


@dataclass
class LoadOptions:
    """Knobs for reading task sources. `max_file_bytes` defaults to the settings'
    `max_file_size` (CLAWGYM_MAX_FILE_SIZE, else DEFAULT_MAX_FILE_BYTES)."""

    max_file_bytes: int = field(default_factory=lambda: settings.current().max_file_size)


class Problems(list[Problem]):
    """Collects problems so a reader reports all of them, then raises once."""

    def add(self, file: str | Path, fld: str, reason: str) -> None:
        self.append(Problem(str(file), fld, reason))

    def raise_if_any(self, partial: list | None = None) -> None:
        if self:
            raise TaskSpecError(list(self), partial)


def clean_path(raw: object, file: str | Path, fld: str, problems: Problems) -> str | None:
    """Normalise a workspace-relative path; report and return None if it could escape."""
    if not isinstance(raw, str) or not raw.strip():
        problems.add(file, fld, f"path must be a non-empty string, got {raw!r}")
        return None
    if "\0" in raw or "\\" in raw:
        problems.add(file, fld, f"path {raw!r} contains a NUL or backslash")
        return None
    p = PurePosixPath(raw)
    if p.is_absolute():
        problems.add(file, fld, f"path {raw!r} is absolute; paths must be relative to the workspace")
        return None
    parts = [x for x in p.parts if x not in (".", "")]
    if ".." in parts:
        problems.add(file, fld, f"path {raw!r} escapes the workspace ('..')")
        return None
    if not parts:
        problems.add(file, fld, f"path {raw!r} names no file")
        return None
    return "/".join(parts)


def check_unique(files: list[TaskFile], file: str | Path, fld: str, problems: Problems) -> None:
    """Refuse duplicate paths and a path that is both a file and a folder."""
    seen: set[str] = set()
    for f in files:
        if f.path in seen:
            problems.add(file, fld, f"duplicate path {f.path!r}")
        seen.add(f.path)
    for f in files:
        parent = PurePosixPath(f.path).parent
        while str(parent) != ".":
            if str(parent) in seen:
                problems.add(file, fld, f"{str(parent)!r} is both a file and a folder")
            parent = parent.parent


def read_tree(root: Path, problems: Problems, options: LoadOptions) -> list[TaskFile]:
    """Read every file under root. Symlinks inside root are followed; escaping ones refused."""
    files: list[TaskFile] = []
    if not root.exists():
        return files
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames) + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                target = full.resolve()
                if not target.is_relative_to(real_root):
                    problems.add(full, "", f"symlink escapes {root} (points to {os.readlink(full)})")
                    continue
                if target.is_dir():
                    problems.add(full, "", "symlinked folders are not supported; copy the files")
                    continue
            try:
                st = full.stat()
            except OSError as exc:
                problems.add(full, "", f"cannot read: {exc.strerror}")
                continue
            if not stat.S_ISREG(st.st_mode):
                problems.add(full, "", "not a regular file")
                continue
            if st.st_size > options.max_file_bytes:
                problems.add(full, "", f"{st.st_size} bytes is over the cap of {options.max_file_bytes}"
                             " (raise it with --max-file-size or CLAWGYM_MAX_FILE_SIZE)")
                continue
            files.append(TaskFile(path=rel, data=full.read_bytes(),
                                  executable=bool(st.st_mode & stat.S_IXUSR)))
    return files


def size_ok(data: bytes, file: str | Path, fld: str, problems: Problems, options: LoadOptions) -> bool:
    if len(data) > options.max_file_bytes:
        problems.add(file, fld, f"{len(data)} bytes is over the cap of {options.max_file_bytes}"
                     " (raise it with --max-file-size or CLAWGYM_MAX_FILE_SIZE)")
        return False
    return True


def read_text(path: Path, problems: Problems, fld: str = "") -> str | None:
    """Read a file that must be UTF-8 text; report instead of raising."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problems.add(path, fld, "missing")
    except UnicodeDecodeError as exc:
        problems.add(path, fld, f"not valid UTF-8 (byte {exc.start})")
    except OSError as exc:
        problems.add(path, fld, f"cannot read: {exc.strerror}")
    return None


def write_tree(root: Path, files: list[TaskFile]) -> None:
    for f in files:
        dest = root / f.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(f.data)
        if f.executable:
            dest.chmod(0o755)


@contextlib.contextmanager
def atomic_dir(dest: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside dest; it becomes dest only if the block succeeds (an
    empty folder at dest is replaced without --overwrite). The one helper: `clawgym.files`."""
    dest = Path(dest)
    if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())) and not overwrite:
        raise FileExistsError(f"{dest} already exists and is not empty; pass --overwrite to replace it")
    with shared.atomic_dir(dest, overwrite=True) as tmp:
        yield tmp


@contextlib.contextmanager
def atomic_file(dest: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside dest; it replaces dest only if the block succeeds
    (`clawgym.files.atomic_path`)."""
    dest = Path(dest)
    if dest.exists() and not overwrite:
        raise FileExistsError(f"{dest} already exists; pass --overwrite to replace it")
    with shared.atomic_path(dest) as tmp:
        yield tmp
