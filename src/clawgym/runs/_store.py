"""The RunStore: SQLite in the run folder, trajectories as JSONL beside it.

Crash safety, in order of events for one attempt: the trajectory line is appended and fsynced,
then the attempt's row is committed pointing at that trajectory's id. A crash between the two
leaves an orphan line that no row points at; the next writer drops orphan and partial lines
(rewriting the JSONL atomically), so every (task, sample) ends with exactly one result and one
trajectory.

One writer per run folder: a writer holds an exclusive `flock` on `run.lock` (its pid written
inside) for as long as it is open, and only it may repair or compact anything. Readers
(`RunStore.read`) open SQLite read-only and skip orphan and torn lines in memory: reading a run
never changes it, even while its writer is appending (a reader that compacted would swap the file
under the writer, whose later lines would go to an unlinked inode and be lost).
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from clawgym.errors import ClawGymError
from clawgym.files import FolderLock, FolderLocked, open_atomic
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
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, pid INTEGER, started_at REAL NOT NULL,
    last_at REAL NOT NULL);
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


class ConfigMismatch(ClawGymError):
    def __init__(self, diffs: dict[str, tuple[Any, Any]]):
        self.diffs = diffs
        lines = [f"  {k}: stored {a!r}, now {b!r}" for k, (a, b) in diffs.items()]
        super().__init__("the run folder holds a run with another configuration:\n" + "\n".join(lines)
                         + "\nuse a new --out folder, or --force to resume anyway")


class RunStoreError(ClawGymError):
    """The run folder cannot be read or written: not a run, corrupt, disk full. One line that
    says what, where and what to do."""


class RunLocked(RunStoreError):
    """Another process is writing this run."""

    def __init__(self, folder: Path, pid: int | None):
        self.pid = pid
        who, stop = (f"process {pid}", f" (kill -INT {pid})") if pid else ("another process", "")
        super().__init__(f"{folder} is being written by {who}; wait for it to finish or stop it{stop}, "
                         "then run again")


def _resume_hint(folder: Path) -> str:
    return f"clawgym run ... --out {folder} --resume"


class RunStore:
    """A run's attempts and trajectories. `RunStore(folder)` is the run's one writer (it creates
    the folder, locks it, repairs it); `RunStore.read(folder)` only reads."""

    DB, TRAJECTORIES, LOCK = "run.sqlite", "trajectories.jsonl", "run.lock"

    def __init__(self, folder: str | Path, *, read_only: bool = False):
        self.folder = Path(folder)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._traj_path = self.folder / self.TRAJECTORIES
        self._fd: int | None = None
        self._lock_file: FolderLock | None = None
        self._session: int | None = None
        db = self.folder / self.DB
        if read_only:
            if not db.is_file():
                raise RunStoreError(f"{self.folder} is not a run folder (no {self.DB}); give the --out folder of a run")
            uri = f"file:{quote(str(db.resolve()))}?mode=ro"
            self._db = self._open_db(lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunStoreError(f"cannot create the run folder {self.folder}: {exc.strerror}; "
                                "choose an --out you can write to") from exc
        self._take_lock()
        try:
            self._db = self._open_db(lambda: sqlite3.connect(db, timeout=30, check_same_thread=False,
                                                                   isolation_level=None))
            self._write(lambda: (self._db.execute("PRAGMA journal_mode=WAL"),
                                 self._db.execute("PRAGMA synchronous=FULL"),
                                 self._db.executescript(_SCHEMA)), "prepare the database")
            self._compact()
            self._fd = os.open(self._traj_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except BaseException:
            self._release_lock()
            raise

    @classmethod
    def read(cls, folder: str | Path) -> "RunStore":
        """Open a run for reading only: creates nothing, rewrites nothing, takes no lock, and
        works while the run's writer is still going."""
        return cls(folder, read_only=True)

    # -- opening ------------------------------------------------------------------------------
    def _take_lock(self) -> None:
        lock = FolderLock(self.folder, self.LOCK)
        try:
            self._lock_file = lock.acquire()
        except FolderLocked as exc:
            raise RunLocked(self.folder, exc.pid) from None
        except OSError as exc:
            raise RunStoreError(f"cannot open the lock file {lock.path}: {exc.strerror}; "
                                "choose an --out you can write to") from exc

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.release()
            self._lock_file = None

    def _open_db(self, connect) -> sqlite3.Connection:
        """Connect and prove the file is a run database (sqlite3 opens garbage lazily)."""
        path = self.folder / self.DB
        try:
            conn = connect()
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            if self.read_only:
                conn.execute("SELECT value FROM meta WHERE key='config'").fetchone()
            return conn
        except sqlite3.DatabaseError as exc:
            raise RunStoreError(f"{path} is not a readable run database ({exc}): it is damaged or not "
                                "a ClawGym run; restore it from a copy, or start again with a new --out") from exc

    def _write(self, fn, what: str):
        """Run one database write; a full disk or a damaged file becomes one clear error."""
        try:
            return fn()
        except sqlite3.Error as exc:
            full = isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)
            raise RunStoreError(
                f"cannot {what} in {self.folder / self.DB}: {exc}; " +
                (f"free space on that disk, then resume with `{_resume_hint(self.folder)}`" if full else
                 "the file may be damaged: restore it from a copy, or start again with a new --out")) from exc

    def _writer(self) -> None:
        if self.read_only:
            raise RunStoreError(f"{self.folder} was opened read-only; open RunStore(folder) to write")

    # -- configuration -----------------------------------------------------------------------
    def config(self) -> RunConfig | None:
        row = self._db.execute("SELECT value FROM meta WHERE key='config'").fetchone()
        return RunConfig.model_validate_json(row[0]) if row else None

    def init(self, config: RunConfig, categories: dict[str, str | None], force: bool = False) -> None:
        """Record the configuration and one pending row per (task, sample); on an existing run,
        refuse a different configuration unless forced. Attempts that ended in infra_error are
        put back: the infrastructure was at fault, and resuming is how a user retries them."""
        self._writer()
        stored = self.config()
        if stored is not None and stored != config and not force:
            raise ConfigMismatch(stored.differences(config))
        now = time.time()

        def txn() -> int | None:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('config', ?)", (config.model_dump_json(),))
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (str(now),))
                self._db.executemany(
                    "INSERT OR IGNORE INTO attempts (task_id, sample, category, updated_at) VALUES (?, ?, ?, ?)",
                    [(t, s, categories.get(t), now) for t in config.task_ids for s in range(config.samples)])
                self._db.execute("UPDATE attempts SET state='pending', tries=0 WHERE state='infra_error'")
                session = self._db.execute("INSERT INTO sessions (pid, started_at, last_at) VALUES (?, ?, ?)",
                                           (os.getpid(), now, now)).lastrowid
                self._db.execute("COMMIT")
                return session

        try:
            self._session = self._write(txn, "record the run's configuration")
        except RunStoreError:
            self._rollback()
            raise

    def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # -- attempts ----------------------------------------------------------------------------
    def pending(self) -> list[tuple[str, int]]:
        """Attempts with no final result (never run, interrupted, or running when a crash hit)."""
        rows = self._db.execute(
            f"SELECT task_id, sample FROM attempts WHERE state NOT IN {FINAL_STATES} ORDER BY rowid").fetchall()
        return [(t, s) for t, s in rows]

    def start(self, task_id: str, sample: int) -> int:
        """Mark an attempt running; returns its try number.

        Committed without an fsync of its own (the next record's fsync carries it): an executor
        marks every attempt before starting it, one after another, and at ~20 ms a sync that put
        the 64th rollout's first model call seconds behind the first. Durability is not needed
        here: a mark that a power cut takes back leaves the attempt pending with its try
        uncounted, as an interrupted one is (`interrupt_running`); either way it runs again."""
        self._writer()

        def txn() -> int:
            with self._lock:
                self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: no sync at this commit
                try:
                    self._db.execute("UPDATE attempts SET state='running', tries=tries+1, updated_at=? "
                                     "WHERE task_id=? AND sample=?", (time.time(), task_id, sample))
                finally:
                    self._db.execute("PRAGMA synchronous=FULL")
                return self._db.execute("SELECT tries FROM attempts WHERE task_id=? AND sample=?",
                                        (task_id, sample)).fetchone()[0]

        return self._write(txn, f"mark {task_id} #{sample} running")

    def _append(self, data: bytes) -> None:
        """Append one whole line and fsync it; on failure cut the file back to where it was, so
        a full disk leaves no torn line for the next append to land after."""
        assert self._fd is not None
        end = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, end)
            except OSError:
                pass  # the next writer drops a torn line anyway
            what = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else exc.strerror
            raise RunStoreError(f"cannot append a trajectory to {self._traj_path}: {what}; free space there, "
                                f"then resume with `{_resume_hint(self.folder)}`") from exc

    def record(self, traj: Any) -> None:
        """Store one finished attempt: trajectory line first (fsynced), then its row."""
        self.record_many([traj])

    def record_many(self, trajs: Sequence[Any]) -> None:
        """Store finished attempts together: their trajectory lines first (one append, one fsync),
        then their rows in one transaction (one more). A group commit: the attempts that finished
        while the previous ones were being stored cost two syncs together, not two each (~20-40 ms
        of the executor's one thread each on a busy disk, which queued the rollouts that finish
        together at the end of a run). Crash safety is `record`'s: every row commits after its
        line is on disk."""
        self._writer()
        if not trajs:
            return
        lines = b"".join((traj.model_dump_json() + "\n").encode("utf-8") for traj in trajs)
        now = time.time()

        def txn() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            for traj in trajs:
                v = traj.verification
                self._db.execute(
                    "UPDATE attempts SET state=?, score=?, verify_status=?, stop_reason=?, checks=?, error=?, "
                    "steps=?, tokens=?, seconds=?, traj_id=?, updated_at=? WHERE task_id=? AND sample=?",
                    (traj.status, traj.score, v.status if v else None, traj.stop_reason,
                     json.dumps(v.checks if v else {}), traj.error or (v.error if v and v.status != "ok" else None),
                     len(traj.steps), traj.usage.total, traj.agent_s + traj.verify_s, traj.id, now,
                     traj.task_id, traj.sample))
            if self._session is not None:
                self._db.execute("UPDATE sessions SET last_at=? WHERE id=?", (now, self._session))
            self._db.execute("COMMIT")

        what = (f"record {trajs[0].task_id} #{trajs[0].sample}" if len(trajs) == 1
                else f"record {len(trajs)} attempts")
        with self._lock:
            self._append(lines)
            try:
                self._write(txn, what)
            except RunStoreError:
                self._rollback()
                raise

    def retry_later(self, task_id: str, sample: int, error: str) -> None:
        self._writer()
        with self._lock:
            self._write(lambda: self._db.execute(
                "UPDATE attempts SET state='pending', error=?, updated_at=? WHERE task_id=? AND sample=?",
                (error, time.time(), task_id, sample)), f"put {task_id} #{sample} back")

    def interrupt_running(self) -> int:
        """Mark every running attempt interrupted (pending again on resume, its try not counted);
        returns how many there were."""
        self._writer()
        with self._lock:
            cur = self._write(lambda: self._db.execute(
                "UPDATE attempts SET state='interrupted', tries=MAX(tries-1, 0), error='interrupted', updated_at=? "
                "WHERE state='running'", (time.time(),)), "mark the running attempts interrupted")
            return cur.rowcount

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
        """Time the run spent running: the sum over its sessions (first open to last result of
        each), so the idle time between a crash or Ctrl-C and the resume does not count."""
        try:
            total, n = self._db.execute("SELECT SUM(last_at - started_at), COUNT(*) FROM sessions").fetchone()
        except sqlite3.OperationalError:  # a run written before sessions were kept
            total, n = None, 0
        if n:
            return max(0.0, total or 0.0)
        created = self._db.execute("SELECT value FROM meta WHERE key='created_at'").fetchone()
        last = self._db.execute("SELECT MAX(updated_at) FROM attempts WHERE state IN "
                                f"{FINAL_STATES}").fetchone()[0]
        return max(0.0, (last or 0) - float(created[0])) if created and last else 0.0

    def trajectories(self) -> Iterator[dict[str, Any]]:
        """The stored trajectories (as dicts), one per finished attempt. A reader skips what a
        live writer has not committed yet (and any torn or orphan line) without touching it."""
        wanted = {r[0] for r in self._db.execute("SELECT traj_id FROM attempts WHERE traj_id IS NOT NULL")}
        seen: set[str] = set()
        if not self._traj_path.exists():
            return
        with open(self._traj_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.endswith("\n") or not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    continue
                tid = data.get("id") if isinstance(data, dict) else None
                if tid in wanted and tid not in seen:
                    seen.add(tid)
                    yield data

    # -- crash recovery (the writer only) ----------------------------------------------------
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
        try:
            if dropped:
                with open_atomic(self._traj_path, fsync=True) as fh:
                    fh.writelines(keep)
        except OSError as exc:
            raise RunStoreError(f"cannot repair {self._traj_path}: {exc.strerror}; free space there, "
                                f"then resume with `{_resume_hint(self.folder)}`") from exc
        missing = wanted - seen  # a row whose line was lost: run that attempt again
        if missing:
            self._write(lambda: self._db.executemany(
                "UPDATE attempts SET state='pending', traj_id=NULL WHERE traj_id=?", [(m,) for m in missing]),
                "repair the attempts whose trajectories were lost")

    def close(self) -> None:
        """Release everything. A writer leaves the database in rollback-journal mode, so a closed
        run is one self-contained file that read-only openers can read without creating -wal and
        -shm files beside it (in WAL mode they would)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not self.read_only:
            try:
                if self._session is not None:
                    self._db.execute("UPDATE sessions SET last_at=? WHERE id=?", (time.time(), self._session))
                self._db.execute("PRAGMA busy_timeout=200")
                self._db.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.Error:
                pass  # a full disk, or a reader has it open: it stays in WAL mode, which is fine
        self._db.close()
        self._release_lock()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iter_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
