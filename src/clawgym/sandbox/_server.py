"""The trusted server that runs inside every sandbox session, as the sandbox's own uid.

Every operation on a workspace goes through it, so a path an agent controls is resolved only
inside the sandbox's mount namespace, by a process with the sandbox's rights: a symlink there can
point only at what the sandbox already sees, and no host process ever opens an agent's path.

It is stdlib only and self-contained: the host runs it with the trusted interpreter by
`python3 -I -S -c <this file>` (no site, no PYTHON* variables, no file of the sandbox imported).

Protocol, over stdin/stdout: a frame is a 4-byte big-endian length then that many bytes. A
request is one JSON frame ({"op": ..., ...}); when it says "nbytes": n, n bytes of payload follow
as frames (streamed, at most 1 MiB each) ending with an empty frame. A reply is one JSON frame
({"ok": true, ...} or {"ok": false, "error": ..., "errno": ...}), followed, when it says
"stream": true, by payload frames ending with an empty frame. Names that are not UTF-8 travel as
surrogate-escaped strings (JSON carries them as \\udcXX escapes), losslessly.

The host treats every reply as untrusted (an agent shares this uid and could tamper with the
server): replies are bounded in bytes and seconds on the host side.
"""

import errno
import hashlib
import json
import os
import selectors
import signal
import stat
import struct
import subprocess
import sys
import tarfile
import threading
import time

CHUNK = 1 << 20
_IN = os.fdopen(0, "rb", buffering=0)  # unbuffered: select() must see what is unread
_OUT = sys.stdout.buffer
ROOT = os.environ.get("CLAWGYM_WS", "/")
KILL_ALL_SAFE = os.environ.get("CLAWGYM_KILL_ALL", "") == "1"
procs = {}  # sid -> Background
_oom_adj_ok = True


class Fail(Exception):
    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


# -- framing ---------------------------------------------------------------------------------
def read_exact(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = _IN.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def read_frame():
    (n,) = struct.unpack(">I", read_exact(4))
    return read_exact(n)


def write_frame(data):
    _OUT.write(struct.pack(">I", len(data)))
    _OUT.write(data)


def reply(obj, stream=None):
    """One JSON frame, then (optionally) payload chunks from an iterable and an empty frame."""
    if stream is not None:
        obj["stream"] = True
    write_frame(json.dumps(obj).encode())
    if stream is not None:
        for chunk in stream:
            if chunk:
                write_frame(chunk)
        write_frame(b"")
    _OUT.flush()


pending = [False]  # the current request's payload is not read to its end yet


def payload_chunks():
    while pending[0]:
        chunk = read_frame()
        if not chunk:
            pending[0] = False
            return
        yield chunk


def read_payload(limit):
    data = bytearray()
    for chunk in payload_chunks():
        if len(data) + len(chunk) > limit:
            data = None  # keep draining, then refuse
            limit = -1
            continue
        if data is not None:
            data += chunk
    if data is None:
        raise Fail("payload too large")
    return bytes(data)


# -- paths -----------------------------------------------------------------------------------
def path_of(raw):
    if not isinstance(raw, str) or not raw:
        raise Fail("path must be a non-empty string")
    return raw if raw.startswith("/") else os.path.join(ROOT, raw)


REAL_ROOT = os.path.realpath(ROOT)


def inside(real):
    return real == REAL_ROOT or real.startswith(REAL_ROOT.rstrip("/") + "/")


def open_regular(path, flags, mode=0o644, confine=False):
    """Open without following a final symlink and without blocking on a FIFO; refuse anything
    that is not a regular file (a FIFO, socket or device an agent planted). With `confine`, also
    refuse a file that is not inside the workspace, judged on the file actually opened (no race)."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    try:
        if confine and not inside(os.readlink(f"/proc/self/fd/{fd}")):
            raise Fail(f"{path} resolves outside the workspace", errno.EXDEV)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Fail(f"{path} is not a regular file", errno.EINVAL)
        os.set_blocking(fd, True)
        return fd, st
    except BaseException:
        os.close(fd)
        raise


def kind(mode):
    return ("dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "symlink" if stat.S_ISLNK(mode)
            else "fifo" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "other")


# -- processes -------------------------------------------------------------------------------
def child_env(env):
    return {str(k): str(v) for k, v in (env or {}).items()}


def start(argv, env, cwd, stdin):
    global _oom_adj_ok
    try:
        p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=child_env(env), cwd=path_of(cwd) if cwd else ROOT,
                             start_new_session=True, close_fds=True)
    except OSError as exc:
        raise Fail(f"could not start {argv[0]!r}: {exc.strerror}", exc.errno)
    if _oom_adj_ok:  # under memory pressure the agent's processes die first, not this server
        try:
            with open(f"/proc/{p.pid}/oom_score_adj", "w") as fh:
                fh.write("1000")
        except OSError:
            _oom_adj_ok = False
    return p


def killpg(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def op_exec(req):
    argv, cap = req["argv"], int(req.get("output_bytes", 256 << 10))
    timeout = float(req.get("timeout", 120))
    data = read_payload(64 << 20) if req.get("nbytes") is not None else None
    t0 = time.monotonic()
    p = start(argv, req.get("env"), req.get("cwd"), subprocess.PIPE if data is not None else subprocess.DEVNULL)
    bufs = {p.stdout: bytearray(), p.stderr: bytearray()}
    dropped = {p.stdout: 0, p.stderr: 0}
    sel = selectors.DefaultSelector()
    for f in bufs:
        os.set_blocking(f.fileno(), False)
        sel.register(f, selectors.EVENT_READ)
    pending = memoryview(data) if data else None
    if data is not None:
        if pending:
            os.set_blocking(p.stdin.fileno(), False)
            sel.register(p.stdin, selectors.EVENT_WRITE)
        else:
            p.stdin.close()
    deadline = t0 + timeout
    timed_out = False
    sel.register(_IN, selectors.EVENT_READ)  # the host sends nothing mid-exec: readable = gone

    def drain(f):
        try:
            chunk = os.read(f.fileno(), 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        room = max(cap - len(bufs[f]), 0)
        bufs[f] += chunk[:room]
        dropped[f] += len(chunk) - min(room, len(chunk))
        return True

    while p.poll() is None:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        for key, _ in sel.select(min(left, 0.05)):
            f = key.fileobj
            if f is _IN:
                killpg(p)
                os._exit(3)
            if f is p.stdin:
                try:
                    n = os.write(f.fileno(), pending[:65536])
                    pending = pending[n:]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    pending = pending[:0]
                if not pending:
                    sel.unregister(f)
                    f.close()
            elif not drain(f):
                sel.unregister(f)
    killpg(p)  # the command's whole group: nothing it left in the background survives it
    p.wait()
    sel.unregister(_IN)
    for f in bufs:  # what is already in the pipes; writers that escaped the group are ignored
        try:
            while drain(f):
                pass
        except (OSError, ValueError):
            pass
    sel.close()
    for f in (p.stdout, p.stderr, p.stdin):
        try:
            if f:
                f.close()
        except OSError:
            pass
    out, err = bytes(bufs[p.stdout]), bytes(bufs[p.stderr])
    reply({"ok": True, "exit_code": -9 if timed_out and p.returncode is None else p.returncode,
           "timed_out": timed_out, "stdout_len": len(out), "stdout_dropped": dropped[p.stdout],
           "stderr_dropped": dropped[p.stderr], "duration_s": time.monotonic() - t0}, stream=[out, err])


class Background:
    """A background command: its output (stdout and stderr merged) drained by a thread into a
    capped buffer, so it never blocks on a full pipe."""

    def __init__(self, argv, env, cwd, cap):
        global _oom_adj_ok
        self.cap, self.buf, self.dropped = cap, bytearray(), 0
        try:
            self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, env=child_env(env),
                                      cwd=path_of(cwd) if cwd else ROOT, start_new_session=True, close_fds=True)
        except OSError as exc:
            raise Fail(f"could not start {argv[0]!r}: {exc.strerror}", exc.errno)
        try:
            with open(f"/proc/{self.p.pid}/oom_score_adj", "w") as fh:
                fh.write("1000")
        except OSError:
            pass
        os.set_blocking(self.p.stdin.fileno(), False)
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._drain, daemon=True)
        self.t.start()

    def _drain(self):
        while True:
            try:
                chunk = self.p.stdout.read1(65536)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            with self.lock:
                room = max(self.cap - len(self.buf), 0)
                self.buf += chunk[:room]
                self.dropped += len(chunk) - min(room, len(chunk))

    def kill(self):
        if self.p.poll() is None:
            killpg(self.p)
        self.p.wait()
        self.t.join(2)


def op_spawn(req):
    sid = str(req["sid"])
    if sid in procs:
        raise Fail(f"session {sid} exists")
    procs[sid] = Background(req["argv"], req.get("env"), req.get("cwd"), int(req.get("output_bytes", 256 << 10)))
    reply({"ok": True, "sid": sid})


def _bg(req):
    b = procs.get(str(req.get("sid")))
    if b is None:
        raise Fail(f"no background session {req.get('sid')!r}")
    return b


def op_poll(req):
    b = _bg(req)
    with b.lock:
        out, dropped = bytes(b.buf), b.dropped
    reply({"ok": True, "returncode": b.p.poll(), "dropped": dropped}, stream=[out])


def op_write_stdin(req):
    """Write what the pipe takes within the time given; never block past it."""
    b = _bg(req)
    data = read_payload(16 << 20)
    deadline = time.monotonic() + float(req.get("timeout", 5))
    view, written = memoryview(data), 0
    sel = selectors.DefaultSelector()
    try:
        sel.register(b.p.stdin, selectors.EVENT_WRITE)
        while written < len(data):
            left = deadline - time.monotonic()
            if left <= 0 or b.p.poll() is not None:
                break
            if not sel.select(min(left, 0.05)):
                continue
            try:
                written += os.write(b.p.stdin.fileno(), view[written:written + 65536])
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                break
    finally:
        sel.close()
    reply({"ok": True, "written": written, "total": len(data)})


def op_kill(req):
    _bg(req).kill()
    reply({"ok": True})


def op_kill_all(req):
    """Stop every process of the sandbox but this server: the agent has stopped."""
    for b in procs.values():
        killpg(b.p)
    if KILL_ALL_SAFE:  # the sandbox has its own pid namespace or uid: -1 reaches only its processes
        for _ in range(20):
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.005)
    for b in procs.values():
        b.kill()
    reply({"ok": True})


# -- files -----------------------------------------------------------------------------------
def op_read_file(req):
    """Up to max_bytes from offset; the file's size and whether it was cut."""
    fd, st = open_regular(path_of(req["path"]), os.O_RDONLY, confine=req.get("confine"))
    limit, offset = int(req.get("max_bytes", 1 << 20)), int(req.get("offset", 0))
    with os.fdopen(fd, "rb") as fh:
        fh.seek(offset)
        data = fh.read(limit)
    reply({"ok": True, "size": st.st_size, "truncated": offset + len(data) < st.st_size}, stream=[data])


def op_read_lines(req):
    """A page of lines (offset 1-based, at most limit lines and max_bytes), counting every line
    of the file as it streams through, so a huge file never sits in memory."""
    fd, st = open_regular(path_of(req["path"]), os.O_RDONLY, confine=req.get("confine"))
    offset, limit, max_bytes = int(req["offset"]), int(req["limit"]), int(req["max_bytes"])
    out, size, total, binary, cut = [], 0, 0, False, False
    with os.fdopen(fd, "rb") as fh:
        head = fh.read(8192)
        if b"\0" in head:
            binary = True
        else:
            fh.seek(0)
            for line in iter(lambda: fh.readline(max_bytes + 1), b""):
                if not line.endswith(b"\n") and len(line) > max_bytes:  # one giant line, in pieces
                    pass
                total += 1
                if total >= offset and len(out) < limit and not cut:
                    if size + len(line) > max_bytes and out:
                        cut = True
                    else:
                        out.append(line[:max_bytes])
                        size += len(out[-1])
    reply({"ok": True, "binary": binary, "size": st.st_size, "total_lines": total, "lines": len(out)},
          stream=[b"".join(out)])


def op_write_file(req):
    path = path_of(req["path"])
    parent = os.path.dirname(path)
    if req.get("confine"):  # the nearest existing folder must be inside the workspace
        probe = parent
        while probe and not os.path.lexists(probe):
            probe = os.path.dirname(probe)
        if not inside(os.path.realpath(probe or "/")):
            raise Fail(f"{req['path']} resolves outside the workspace", errno.EXDEV)
    if req.get("mkdirs", True) and parent:
        os.makedirs(parent, exist_ok=True)
    mode = int(req.get("mode") or 0o644)
    if os.path.isdir(path) and not os.path.islink(path):
        raise Fail(f"{req['path']} is a folder", errno.EISDIR)
    fd, _ = open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode, confine=req.get("confine"))
    if req.get("mode") is not None:
        os.fchmod(fd, mode)
    n = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in payload_chunks():
                fh.write(chunk)
                n += len(chunk)
    except OSError:
        for _ in payload_chunks():
            pass
        raise
    reply({"ok": True, "written": n})


def op_stat(req):
    st = os.lstat(path_of(req["path"]))
    reply({"ok": True, "type": kind(st.st_mode), "size": st.st_size, "mode": stat.S_IMODE(st.st_mode),
           "mtime": st.st_mtime})


def walk(top):
    """Every entry under top, iteratively (no recursion limit on deep trees), links not followed."""
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in sorted(entries, key=lambda e: e.name):
            yield e
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)


def op_list(req):
    top = path_of(req.get("path") or ROOT)
    limit = int(req.get("limit", 10000))
    items = []
    it = walk(top) if req.get("recursive") else (e for e in sorted(os.scandir(top), key=lambda e: e.name))
    truncated = False
    for e in it:
        if len(items) >= limit:
            truncated = True
            break
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        items.append({"path": os.path.relpath(e.path, top), "type": kind(st.st_mode), "size": st.st_size})
    reply({"ok": True, "entries": items, "truncated": truncated})


def remove_tree(path):
    """Delete a tree bottom-up without recursion (1,000s of nested folders are fine)."""
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    order = [path]
    for e in walk(path):
        if e.is_dir(follow_symlinks=False):
            order.append(e.path)
        else:
            os.unlink(e.path)
    for d in reversed(order):
        os.rmdir(d)


def op_remove(req):
    path = path_of(req["path"])
    try:
        if req.get("recursive"):
            remove_tree(path)
        elif os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        if not req.get("missing_ok"):
            raise
    reply({"ok": True})


def op_import(req):
    """Unpack a tar (from the host: task files, or another sandbox's export) into the root.
    Only folders and regular files; no absolute paths, no '..', nothing through a link."""
    dest = path_of(req.get("path") or ROOT)
    reader = _ChunkReader()
    count = 0
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tf:
            for m in tf:
                name = m.name
                parts = [p for p in name.split("/") if p not in ("", ".")]
                if not parts or ".." in parts or name.startswith("/"):
                    continue
                target = os.path.join(dest, *parts)
                parent = os.path.dirname(target)
                if m.isdir():
                    os.makedirs(target, exist_ok=True)
                    os.chmod(target, 0o755)
                    continue
                if not m.isreg():
                    continue
                os.makedirs(parent, exist_ok=True)
                if os.path.islink(target) or os.path.isdir(target):
                    remove_tree(target)
                src = tf.extractfile(m)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o755 if m.mode & 0o100 else 0o644)
                with os.fdopen(fd, "wb") as fh:
                    while chunk := src.read(CHUNK):
                        fh.write(chunk)
                count += 1
    finally:
        reader.drain()
    reply({"ok": True, "files": count})


class _ChunkReader:
    """A file object over the request's payload frames."""

    def __init__(self):
        self.buf, self.done = b"", False

    def read(self, n=-1):
        while not self.done and (n < 0 or len(self.buf) < n):
            chunk = read_frame()
            if not chunk:
                self.done = True
                pending[0] = False
            self.buf += chunk
        if n < 0:
            n = len(self.buf)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def drain(self):
        while not self.done:
            if not read_frame():
                self.done = True
                pending[0] = False


class _FrameWriter:
    """A write-only file object that sends what tarfile writes as payload frames."""

    def __init__(self):
        self.buf = bytearray()
        self.n = 0

    def write(self, data):
        self.buf += data
        self.n += len(data)
        if len(self.buf) >= CHUNK:
            write_frame(bytes(self.buf))
            self.buf.clear()
        return len(data)

    def flush(self):
        pass

    def tell(self):
        return self.n

    def close(self):
        if self.buf:
            write_frame(bytes(self.buf))
            self.buf.clear()


def op_export(req):
    """The workspace as a tar stream: folders and regular files only. A symlink becomes a copy of
    what it points at when that is a regular file inside the root (as of now); any other link,
    FIFO, socket or device is left out and listed, so nothing an agent links to (a host path, the
    place the checks will appear) is carried into verification."""
    top = path_of(req.get("path") or ROOT)
    real_top = os.path.realpath(top)
    max_bytes = int(req.get("max_bytes", 1 << 30))
    max_entries = int(req.get("max_entries", 200_000))
    skipped, total, entries = [], 0, 0
    write_frame(json.dumps({"ok": True, "stream": True}).encode())
    w = _FrameWriter()
    try:
        with tarfile.open(fileobj=w, mode="w|", format=tarfile.PAX_FORMAT, encoding="utf-8",
                          errors="surrogateescape") as tf:
            for e in walk(top):
                entries += 1
                if entries > max_entries:
                    raise Fail(f"the workspace holds more than {max_entries} files and folders")
                rel = os.path.relpath(e.path, top)
                try:
                    st = os.lstat(e.path)
                except OSError:
                    continue
                src = e.path
                if stat.S_ISLNK(st.st_mode):
                    target = os.path.realpath(e.path)
                    try:
                        tst = os.stat(target)
                    except OSError:
                        skipped.append(rel)
                        continue
                    if not (target.startswith(real_top + os.sep) and stat.S_ISREG(tst.st_mode)):
                        skipped.append(rel)
                        continue
                    src, st = target, tst
                if stat.S_ISDIR(st.st_mode):
                    ti = tarfile.TarInfo(rel)
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tf.addfile(ti)
                    continue
                if not stat.S_ISREG(st.st_mode):
                    skipped.append(rel)
                    continue
                try:
                    fd, st = open_regular(src, os.O_RDONLY)
                except (OSError, Fail):
                    skipped.append(rel)
                    continue
                with os.fdopen(fd, "rb") as fh:
                    if total + st.st_size > max_bytes:
                        raise Fail(f"the workspace is over the export cap of {max_bytes} bytes")
                    ti = tarfile.TarInfo(rel)
                    ti.size, ti.mode = st.st_size, 0o755 if st.st_mode & 0o100 else 0o644
                    total += st.st_size
                    tf.addfile(ti, _Exactly(fh, st.st_size))
        w.close()
        write_frame(b"")
        write_frame(json.dumps({"ok": True, "bytes": total, "skipped": skipped[:1000]}).encode())
    except Exception as exc:  # the stream has begun: end it, then say what went wrong
        w.close()
        write_frame(b"")
        write_frame(json.dumps({"ok": False, "error": str(exc)}).encode())
    _OUT.flush()


class _Exactly:
    """Reads exactly n bytes from a file that may be growing or shrinking under us (zero-padded),
    so the tar stays well-formed whatever a leftover writer does."""

    def __init__(self, fh, n):
        self.fh, self.left = fh, n

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        data = self.fh.read(n)
        data += b"\0" * (n - len(data))
        self.left -= n
        return data


def op_hash(req):
    """Size and sha256 of every regular file under path (links and specials listed as such)."""
    top = path_of(req.get("path") or ROOT)
    files = {}
    for e in walk(top):
        rel = os.path.relpath(e.path, top)
        st = e.stat(follow_symlinks=False)
        if stat.S_ISREG(st.st_mode):
            try:
                fd, _ = open_regular(e.path, os.O_RDONLY)
            except (OSError, Fail):
                continue
            h = hashlib.sha256()
            with os.fdopen(fd, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
            files[rel] = [st.st_size, h.hexdigest()]
    reply({"ok": True, "files": files})


def op_hello(req):
    reply({"ok": True, "pid": os.getpid(), "uid": os.getuid(), "root": ROOT})


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def reap_orphans():
    """As the namespace's reaper of last resort, collect children that are not ours."""
    ours = {b.p.pid for b in procs.values()}
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid in ours:
            return
        try:
            os.waitpid(info.si_pid, os.WNOHANG)
        except ChildProcessError:
            return


def main():
    os.umask(0o022)
    while True:
        try:
            req = json.loads(read_frame())
        except EOFError:
            break
        pending[0] = req.get("nbytes") is not None
        op = OPS.get(req.get("op"))
        try:
            if op is None:
                raise Fail(f"unknown operation {req.get('op')!r}")
            op(req)
        except EOFError:
            break
        except Exception as exc:
            for _ in payload_chunks():  # what the request still carries, so frames stay in step
                pass
            code = getattr(exc, "code", None) if isinstance(exc, Fail) else getattr(exc, "errno", None)
            msg = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, OSError) and exc.filename:
                msg = f"{msg}: {exc.filename}"
            reply({"ok": False, "error": msg, "errno": code})
        reap_orphans()
    for b in procs.values():
        b.kill()


if __name__ == "__main__":
    main()
