"""JSON lines, written whole: one serializer and one writer for every machine-readable output.

`print(json.dumps(x))` from worker threads writes the text and the newline in two calls, so two
threads can interleave and break lines (`clawgym verify --json -j 4` did). Here each record
becomes one complete line, written with a single call under a lock and flushed at once, so a
reader never sees half a line, whichever thread wrote it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, Union

from pydantic import BaseModel

Record = Union[BaseModel, Mapping[str, Any]]


def dumps_line(record: Record) -> str:
    """One record as one line of JSON, newline included. Pydantic models serialize themselves
    (so a record's shape is defined once, by its model); mappings go through `json`."""
    if isinstance(record, BaseModel):
        text = record.model_dump_json()
    else:
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    if "\n" in text:  # JSON escapes newlines inside strings; a raw one would split the record
        raise ValueError("a JSON line cannot contain a raw newline")
    return text + "\n"


class JsonlWriter:
    """Thread-safe JSON-lines output to a text stream (stdout by default) or a file.

    A file is opened in append mode without buffering, so each line is one `write(2)` with
    O_APPEND: whole even when several processes append to the same file.
    """

    def __init__(self, target: IO[str] | str | os.PathLike[str] | None = None):
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._stream: IO[str] | None = None
        if target is None or hasattr(target, "write"):
            self._stream = target if target is not None else sys.stdout  # type: ignore[assignment]
        else:
            path = Path(target)  # type: ignore[arg-type]
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: Record) -> None:
        line = dumps_line(record)
        with self._lock:
            if self._fd is not None:
                data = line.encode("utf-8")
                written = os.write(self._fd, data)
                while written < len(data):  # only on a full disk or a signal: finish the line
                    written += os.write(self._fd, data[written:])
            else:
                assert self._stream is not None
                raw = getattr(self._stream, "buffer", None)
                if raw is not None:  # bytes: UTF-8 whatever the locale says the terminal takes
                    self._stream.flush()
                    raw.write(line.encode("utf-8"))
                    raw.flush()
                else:
                    self._stream.write(line)
                    self._stream.flush()

    def write_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.write(record)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def append_jsonl(path: str | os.PathLike[str], *records: Record) -> None:
    """Append records to a JSONL file, each as one whole line (e.g. a trajectory)."""
    with JsonlWriter(path) as writer:
        writer.write_all(records)


__all__ = ["JsonlWriter", "Record", "append_jsonl", "dumps_line"]
