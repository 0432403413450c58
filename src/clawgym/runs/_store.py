"""The RunStore: SQLite in the run folder, trajectories as JSONL beside it.

Crash safety, in order of events for one attempt: the trajectory line is appended and fsynced,
then the attempt's row is committed pointing at that trajectory's id. A crash between the two
leaves an orphan line that no row points at; `open()` drops orphan and partial lines (rewriting
the JSONL atomically), so every (task, sample) ends with exactly one result and one trajectory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clawgym.runs._config import RunConfig

FINAL_STATES = ("done", "agent_error", "infra_error")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    task_id TEXT NOT NULL, sample INTEGER NOT NULL, category TEXT,
    state TEXT NOT NULL DEFAULT 'pending', tries INTEGER NOT NULL DEFAULT 0,
    score REAL, verify_status TEXT, stop_reason TEXT, checks TEXT, error TEXT,
    steps INTEGER, tokens INTEGER, seconds REAL, traj_id TEXT, updated_at REAL,
    PRIMARY KEY (task_id, sample));
"""


class AttemptRow(BaseModel):
    task_id: str
    sample: int
    category: str | None = None
    state: str
    tries: int = 0
    score: float | None = None
    verify_status: str | None = None
    stop_reason: str | None = None
    checks: dict[str, float] = {}
    error: str | None = None
    steps: int | None = None
    tokens: int | None = None
    seconds: float | None = None
    traj_id: str | None = None

    def report_json(self) -> dict[str, Any]:
        """The one-line-per-attempt shape of `clawgym report --json`."""
        status = self.state if self.state != "done" or self.verify_status == "ok" else "verifier_error"
        return {"task_id": self.task_id, "sample": self.sample, "status": status, "score": self.score or 0.0,
                "checks": self.checks, "error": self.error, "steps": self.steps or 0, "tokens": self.tokens or 0,
                "seconds": round(self.seconds or 0.0, 3), "category": self.category}


class ConfigMismatch(Exception):
    def __init__(self, diffs: dict[str, tuple[Any, Any]]):
        self.diffs = diffs
        lines = [f"  {k}: stored {a!r}, now {b!r}" for k, (a, b) in diffs.items()]
        super().__init__("the run folder holds a run with another configuration:\n" + "\n".join(lines)
                         + "\nuse a new --out folder, or --force to resume anyway")


class RunStore:
    DB, TRAJECTORIES = "run.sqlite", "trajectories.jsonl"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.folder / self.DB, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._traj_path = self.folder / self.TRAJECTORIES
        self._compact()
        self._fh = open(self._traj_path, "a", encoding="utf-8")

    # -- configuration -----------------------------------------------------------------------
    def config(self) -> RunConfig | None:
        row = self._db.execute("SELECT value FROM meta WHERE key='config'").fetchone()
        return RunConfig.model_validate_json(row[0]) if row else None

    def init(self, config: RunConfig, categories: dict[str, str | None], force: bool = False) -> None:
        """Record the configuration and one pending row per (task, sample); on an existing run,
        refuse a different configuration unless forced."""
        stored = self.config()
        if stored is not None and stored != config and not force:
            raise ConfigMismatch(stored.differences(config))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('config', ?)", (config.model_dump_json(),))
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (str(time.time()),))
            self._db.executemany(
                "INSERT OR IGNORE INTO attempts (task_id, sample, category, updated_at) VALUES (?, ?, ?, ?)",
                [(t, s, categories.get(t), time.time()) for t in config.task_ids for s in range(config.samples)])
            self._db.execute("COMMIT")

    # -- attempts ----------------------------------------------------------------------------
    def pending(self) -> list[tuple[str, int]]:
        """Attempts with no final result (never run, or running when a crash hit)."""
        rows = self._db.execute(
            f"SELECT task_id, sample FROM attempts WHERE state NOT IN {FINAL_STATES} ORDER BY rowid").fetchall()
        return [(t, s) for t, s in rows]

    def start(self, task_id: str, sample: int) -> int:
        """Mark an attempt running; returns its try number."""
        with self._lock:
            self._db.execute("UPDATE attempts SET state='running', tries=tries+1, updated_at=? "
                             "WHERE task_id=? AND sample=?", (time.time(), task_id, sample))
            return self._db.execute("SELECT tries FROM attempts WHERE task_id=? AND sample=?",
                                    (task_id, sample)).fetchone()[0]

    def record(self, traj: Any) -> None:
        """Store one finished attempt: trajectory line first (fsynced), then its row."""
        v = traj.verification
        line = traj.model_dump_json() + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._db.execute(
                "UPDATE attempts SET state=?, score=?, verify_status=?, stop_reason=?, checks=?, error=?, steps=?, "
                "tokens=?, seconds=?, traj_id=?, updated_at=? WHERE task_id=? AND sample=?",
                (traj.status, traj.score, v.status if v else None, traj.stop_reason,
                 json.dumps(v.checks if v else {}), traj.error or (v.error if v and v.status != "ok" else None),
                 len(traj.steps), traj.usage.total, traj.agent_s + traj.verify_s, traj.id, time.time(),
                 traj.task_id, traj.sample))

    def retry_later(self, task_id: str, sample: int, error: str) -> None:
        with self._lock:
            self._db.execute("UPDATE attempts SET state='pending', error=?, updated_at=? WHERE task_id=? AND sample=?",
                             (error, time.time(), task_id, sample))

    def rows(self) -> list[AttemptRow]:
        cur = self._db.execute("SELECT task_id, sample, category, state, tries, score, verify_status, stop_reason, "
                               "checks, error, steps, tokens, seconds, traj_id FROM attempts ORDER BY rowid")
        out = []
        for r in cur.fetchall():
            out.append(AttemptRow(task_id=r[0], sample=r[1], category=r[2], state=r[3], tries=r[4], score=r[5],
                                  verify_status=r[6], stop_reason=r[7], checks=json.loads(r[8] or "{}"), error=r[9],
                                  steps=r[10], tokens=r[11], seconds=r[12], traj_id=r[13]))
        return out

    def wall_s(self) -> float:
        """From the run's creation to its latest result (resumed runs include the gap)."""
        created = self._db.execute("SELECT value FROM meta WHERE key='created_at'").fetchone()
        last = self._db.execute("SELECT MAX(updated_at) FROM attempts WHERE state IN "
                                f"{FINAL_STATES}").fetchone()[0]
        return max(0.0, (last or 0) - float(created[0])) if created and last else 0.0

    def trajectories(self) -> Iterator[dict[str, Any]]:
        """The stored trajectories (as dicts), one per finished attempt."""
        self._fh.flush()
        with open(self._traj_path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    # -- crash recovery ----------------------------------------------------------------------
    def _compact(self) -> None:
        """Keep exactly the trajectory lines the database points at; drop orphans and a torn
        last line. Rewrites atomically, and only when something must go."""
        if not self._traj_path.exists():
            return
        wanted = {r[0] for r in self._db.execute("SELECT traj_id FROM attempts WHERE traj_id IS NOT NULL")}
        keep: list[str] = []
        seen: set[str] = set()
        dropped = False
        with open(self._traj_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    tid = json.loads(line)["id"] if line.endswith("\n") else None
                except (json.JSONDecodeError, KeyError, TypeError):
                    tid = None
                if tid in wanted and tid not in seen:
                    keep.append(line)
                    seen.add(tid)
                else:
                    dropped = True
        if dropped:
            tmp = self._traj_path.with_suffix(".jsonl.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.writelines(keep)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._traj_path)
        missing = wanted - seen  # a row whose line was lost: run that attempt again
        if missing:
            self._db.executemany("UPDATE attempts SET state='pending', traj_id=NULL WHERE traj_id=?",
                                 [(m,) for m in missing])

    def close(self) -> None:
        self._fh.close()
        self._db.close()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iter_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
