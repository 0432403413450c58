"""The stage ledger: an append-only record of every stage's verdict for every record.

One row per (record, stage), written once and never updated: `append` commits it (SQLite, WAL,
synchronous=FULL) before the pipeline moves on, so after a kill -9 the ledger holds exactly the
stages that finished, and a resumed run starts each record at its first unrecorded stage. A
second append of the same (record, stage) is refused: nothing is ever done twice. One writer per
folder (an exclusive `flock` on `ledger.lock`, like the RunStore's); every text is redacted
before it is written.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.errors import ClawGymError
from clawgym.files import FolderLock, FolderLocked
from clawgym.synth._redact import Redactor

Verdict = Literal["ok", "rejected", "skipped"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL, stage TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT,
    payload TEXT NOT NULL, usage TEXT NOT NULL, at REAL NOT NULL,
    UNIQUE (record_id, stage));
"""


class LedgerError(ClawGymError):
    """The ledger cannot be opened or written, or is held by another writer."""


class StageEvent(BaseModel):
    """One stage's outcome for one record."""

    record_id: str
    stage: str
    verdict: Verdict
    reason: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    usage: dict[str, Any] = Field(default_factory=dict, description="Model spend of this stage (first run).")
    seq: int = 0


class StageLedger:
    """`StageLedger(folder)` is the folder's one writer; `StageLedger(folder, read_only=True)` reads."""

    DB, LOCK = "ledger.sqlite", "ledger.lock"

    def __init__(self, folder: str | Path, *, redactor: Redactor | None = None, read_only: bool = False):
        self.folder = Path(folder)
        self.redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._lock_file: FolderLock | None = None
        db = self.folder / self.DB
        try:
            if read_only:
                if not db.is_file():
                    raise LedgerError(f"{self.folder} holds no synthesis ledger ({self.DB})")
                self._db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            self._take_lock()
            self._db = sqlite3.connect(db, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._release()
            raise LedgerError(f"{db} is not a readable ledger ({exc}); restore it or use a new --out") from exc
        except OSError as exc:
            self._release()
            raise LedgerError(f"cannot open the ledger in {self.folder}: {exc.strerror}") from exc

    def _take_lock(self) -> None:
        try:
            self._lock_file = FolderLock(self.folder, self.LOCK).acquire()
        except FolderLocked as exc:
            raise LedgerError(f"{exc}; wait for it or stop it, then run again") from None

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.release()
            self._lock_file = None

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, self.redactor.dumps(value)))

    # -- events -------------------------------------------------------------------------------
    def append(self, event: StageEvent) -> StageEvent:
        """Record one stage's verdict, durably. Raises LedgerError if it is already recorded."""
        r = self.redactor
        row = (event.record_id, event.stage, event.verdict, r.text(event.reason) if event.reason else None,
               r.dumps(event.payload), r.dumps(event.usage), time.time())
        with self._lock:
            try:
                cur = self._db.execute("INSERT INTO events (record_id, stage, verdict, reason, payload, usage, at) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            except sqlite3.IntegrityError:
                raise LedgerError(f"stage {event.stage!r} of record {event.record_id!r} is already recorded; "
                                  "a stage never runs twice") from None
            except sqlite3.Error as exc:
                full = "full" in str(exc)
                raise LedgerError(f"cannot write {self.folder / self.DB}: {exc}"
                                  + ("; free disk space, then run the same command again to resume" if full else ""))
        return event.model_copy(update={"seq": cur.lastrowid})

    def append_many(self, events: list[StageEvent]) -> None:
        """Several verdicts in one transaction (a batch stage such as dedup): all or none."""
        r = self.redactor
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO events (record_id, stage, verdict, reason, payload, usage, at) VALUES (?,?,?,?,?,?,?)",
                    [(e.record_id, e.stage, e.verdict, r.text(e.reason) if e.reason else None, r.dumps(e.payload),
                      r.dumps(e.usage), time.time()) for e in events])
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise LedgerError(f"cannot write {self.folder / self.DB}: {exc}") from exc

    def events(self) -> list[StageEvent]:
        with self._lock:
            rows = self._db.execute("SELECT seq, record_id, stage, verdict, reason, payload, usage FROM events "
                                    "ORDER BY seq").fetchall()
        return [StageEvent(seq=s, record_id=i, stage=st, verdict=v, reason=why, payload=json.loads(p),
                           usage=json.loads(u)) for s, i, st, v, why, p, u in rows]

    def by_record(self) -> dict[str, dict[str, StageEvent]]:
        out: dict[str, dict[str, StageEvent]] = {}
        for e in self.events():
            out.setdefault(e.record_id, {})[e.stage] = e
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._release()

    def __enter__(self) -> "StageLedger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
