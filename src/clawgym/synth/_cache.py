"""A content-addressed cache of model answers: the same prompt, model, sampling parameters and
seed give the same answer, so re-running (or resuming) a pipeline costs nothing.

The key is a SHA-256 over a canonical JSON of (model identity, messages, tools, sampling); the
value is the answer's text and its original usage. One SQLite file, WAL, each put committed at
once (a kill -9 loses at most the answer being written, never a stored one)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from clawgym.errors import ClawGymError


class CacheError(ClawGymError):
    """The response cache cannot be opened or written."""


def cache_key(model: dict[str, Any], messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model, "messages": messages, "params": params},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """`get(key) -> (content, usage) | None`, `put(key, content, usage)`. Thread-safe."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, content TEXT NOT NULL, "
                             "prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL)")
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open the response cache {self.path}: {exc}; delete it (it only saves "
                             "money on a re-run) or give another --cache path") from exc

    def get(self, key: str) -> tuple[str, dict[str, int]] | None:
        with self._lock:
            row = self._db.execute("SELECT content, prompt_tokens, completion_tokens FROM responses WHERE key=?",
                                   (key,)).fetchone()
        if row is None:
            return None
        return row[0], {"prompt_tokens": row[1], "completion_tokens": row[2]}

    def put(self, key: str, content: str, usage: dict[str, int]) -> None:
        with self._lock:
            try:
                self._db.execute("INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?)",
                                 (key, content, int(usage.get("prompt_tokens", 0)),
                                  int(usage.get("completion_tokens", 0))))
            except sqlite3.Error as exc:
                raise CacheError(f"cannot write the response cache {self.path}: {exc}") from exc

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
