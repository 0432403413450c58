"""The file helpers every package shares: a write that is whole or absent, and a folder's one
writer.

Each used to be written out by hand where it was needed (a dozen `tmp` + `os.replace` pairs, two
`flock` lock files) and they had drifted: some temporary names collided between processes,
some never fsynced, some left their temporary file behind on an error. These are the one copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["FolderLock", "FolderLocked", "atomic_dir", "atomic_path", "atomic_write", "open_atomic"]


@contextlib.contextmanager
def atomic_path(dest: str | Path, *, fsync: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary path beside `dest` (same folder, so the rename cannot cross file
    systems; a unique name, so two writers never share it); when the block succeeds it replaces
    `dest` in one rename, so a reader sees the old file or the new one, never half of either.
    On an error the temporary file is removed and `dest` is untouched. `fsync` flushes the new
    file to disk before the rename (for records a crash must not lose). Parents are made."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def open_atomic(dest: str | Path, mode: str = "w", *, fsync: bool = False,
                encoding: str | None = "utf-8") -> Iterator[IO]:
    """`open()` for writing whole: the file handed out is a temporary one that replaces `dest`
    only when the block succeeds (see `atomic_path`). `mode` is "w" or "wb"."""
    if mode not in ("w", "wb"):
        raise ValueError(f"open_atomic writes a whole file: mode 'w' or 'wb', not {mode!r}")
    with atomic_path(dest, fsync=fsync) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh


def atomic_write(dest: str | Path, data: str | bytes, *, fsync: bool = False, encoding: str = "utf-8") -> Path:
    """Write `data` (text or bytes) to `dest` whole or not at all; returns `dest`."""
    with atomic_path(dest, fsync=fsync) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return Path(dest)


@contextlib.contextmanager
def atomic_dir(dest: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `dest`; it becomes `dest` only if the block succeeds
    (an existing `dest` is moved aside, then removed, only when `overwrite`). On an error the
    temporary folder is removed and `dest` is untouched."""
    dest = Path(dest)
    if dest.exists() and not overwrite:
        raise FileExistsError(f"{dest} already exists; pass overwrite=True to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield tmp
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / dest.name)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


class FolderLocked(Exception):
    """Another process holds the folder's lock; `pid` is what it wrote there (None if unknown)."""

    def __init__(self, folder: Path, pid: int | None):
        self.folder, self.pid = folder, pid
        super().__init__(f"{folder} is being written by process {pid if pid is not None else '?'}")


class FolderLock:
    """The one writer of a folder: an exclusive, non-blocking `flock` on `folder/name`, the
    holder's pid written in it (for the message a second writer gets; the flock is the lock).
    The kernel drops the lock when its process dies, so a crash never leaves a stale lock.

    `acquire()` raises `FolderLocked` when another process holds it and OSError when the lock
    file cannot be opened; callers turn both into their own error, which says what to do."""

    def __init__(self, folder: str | Path, name: str):
        self.path = Path(folder) / name
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> FolderLock:
        if self._fd is not None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise FolderLocked(self.path.parent, int(text) if text.isdigit() else None) from None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
