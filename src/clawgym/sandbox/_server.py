"""The trusted server that runs inside every sandbox session, as the sandbox's own uid.

Every operation on a workspace goes through it, so a path an agent controls is resolved only
inside the sandbox's mount namespace, by a process with the sandbox's rights: a symlink there can
point only at what the sandbox already sees, and no host process ever opens an agent's path.

It is stdlib only and self-contained: the host runs it with the trusted interpreter by
`python3 -I -S -c <this file>` (no site, no PYTHON* variables, no file of the sandbox imported).

Protocol, over stdin/stdout: a frame is a 4-byte big-endian length then that many bytes. A
request is one frame holding a dict ({"op": ..., ...}) in `marshal` format (the trusted
direction: only the host writes requests, and marshal needs no import); when it says "nbytes",
payload frames follow (streamed, at most 1 MiB each), ending with an empty frame. A reply is one
JSON frame ({"ok": true, ...} or {"ok": false, "error": ..., "errno": ...}; the host parses what
the sandbox sends only as JSON), followed, when it says "stream": true, by payload frames ending
with an empty frame. Names that are not UTF-8 travel as surrogate-escaped strings (JSON carries
them as \\udcXX escapes), losslessly.

The host treats every reply as untrusted (an agent shares this uid and could tamper with the
server): replies are bounded in bytes and seconds on the host side.
"""

import errno
import marshal
import os
import select
import _signal as signal  # the C module: the signal module imports enum, which costs ms
import stat
import struct
import sys
import time

# Only modules that cost nothing to import: the server starts in every sandbox, so its start-up
# is the session's. tarfile and hashlib are imported by the operations that need them; no
# subprocess (it pulls in re and locale), no threads (one poll loop serves everything).
CHUNK = 1 << 20
_IN = os.fdopen(0, "rb", buffering=0)  # unbuffered: poll() must see what is unread
_OUT = sys.stdout.buffer
ROOT = os.environ.get("CLAWGYM_WS", "/")
KILL_ALL_SAFE = os.environ.get("CLAWGYM_KILL_ALL", "") == "1"
procs = {}  # sid -> Child (background commands)


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


_ESC = {i: "\\u%04x" % i for i in [*range(0x20), *range(0xD800, 0xE000)]}
_ESC.update({ord('"'): '\\"', ord("\\"): "\\\\"})


def dumps(obj):
    """JSON for what replies hold (dicts, lists, str, int, float, bool, None); lone surrogates
    (names that are not UTF-8) escaped as JSON allows. The json module would cost its import."""
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, (int, float)):
        return repr(obj) if obj == obj and obj not in (float("inf"), float("-inf")) else "null"
    if isinstance(obj, str):
        return '"' + obj.translate(_ESC) + '"'
    if isinstance(obj, dict):
        return "{" + ",".join(dumps(str(k)) + ":" + dumps(v) for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    return dumps(str(obj))


def reply(obj, stream=None):
    """One JSON frame, then (optionally) payload chunks from an iterable and an empty frame."""
    if stream is not None:
        obj["stream"] = True
    write_frame(dumps(obj).encode("utf-8"))
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
class Child:
    """A command in its own session and process group, started with fork + exec (no subprocess
    module, no threads); stdout and stderr captured into capped buffers, merged for background
    commands. Its exit is seen through a pidfd, so waiting costs no polling."""

    def __init__(self, argv, env, cwd, cap, *, stdin, merge, inline=False):
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise Fail("argv must be a non-empty list of strings")
        env = {str(k): str(v) for k, v in (env or {}).items()}
        cwd = path_of(cwd) if cwd else ROOT
        self.cap, self.merge = cap, merge
        self.bufs, self.dropped = {}, {}
        self.returncode = None
        in_r = in_w = None
        if stdin:
            in_r, in_w = os.pipe2(os.O_CLOEXEC)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = (None, None) if merge else os.pipe2(os.O_CLOEXEC)
        try:
            if not inline and os.path.realpath(cwd) == os.getcwd():
                pid = self._spawn(argv, env, in_r, out_w, err_w, merge)
            else:
                pid = self._fork(argv, env, cwd, in_r, out_w, err_w, merge, inline)
        except BaseException:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                if fd is not None:
                    os.close(fd)
            raise
        self.pid = pid
        for fd in (in_r, out_w, err_w):  # the child's ends
            if fd is not None:
                os.close(fd)
        self.pidfd = os.pidfd_open(pid)
        self.stdin = in_w
        self.outs = [fd for fd in (out_r, err_r) if fd is not None]
        for fd in self.outs + ([in_w] if in_w is not None else []):
            os.set_blocking(fd, False)
        for fd in self.outs:
            self.bufs[fd], self.dropped[fd] = bytearray(), 0

    @staticmethod
    def _spawn(argv, env, in_r, out_w, err_w, merge):
        """posix_spawn (vfork underneath): the cheapest start, for a command in the server's own
        folder (the workspace); its failure to start is raised here, in the server."""
        actions = [(os.POSIX_SPAWN_DUP2, in_r, 0) if in_r is not None
                   else (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, out_w if merge else err_w, 2)]
        try:
            pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions, setsid=True,
                                  setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
        except OSError as exc:
            raise Fail(f"could not start {argv[0]!r}: {exc.strerror}", exc.errno)
        try:  # under memory pressure the agent's processes die first, not this server
            fd = os.open(f"/proc/{pid}/oom_score_adj", os.O_WRONLY)
            os.write(fd, b"1000")
            os.close(fd)
        except OSError:
            pass
        return pid

    @staticmethod
    def _fork(argv, env, cwd, in_r, out_w, err_w, merge, inline):
        """fork, then exec in `cwd` (or, `inline`, run a Python script in the forked server)."""
        x_r, x_w = os.pipe2(os.O_CLOEXEC)  # the exec's failure, if any, comes back here
        pid = os.fork()
        if pid == 0:  # the child: only system calls until exec
            try:
                os.setsid()
                try:  # under memory pressure the agent's processes die first, not this server
                    fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
                    os.write(fd, b"1000")
                    os.close(fd)
                except OSError:
                    pass
                for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                    signal.signal(sig, signal.SIG_DFL)
                os.dup2(in_r if in_r is not None else os.open("/dev/null", os.O_RDONLY), 0)
                os.dup2(out_w, 1)
                os.dup2(out_w if merge else err_w, 2)
                os.chdir(cwd)
                if inline:
                    os.close(x_w)  # started: what follows is the script's own doing
                    run_inline(argv, env)
                os.execvpe(argv[0], argv, env)
            except BaseException as exc:
                try:
                    os.write(x_w, (str(getattr(exc, "errno", 0) or 0) + ":" + str(exc)).encode("utf-8", "replace")[:1000])
                finally:
                    os._exit(127)
        os.close(x_w)
        failure = b""
        while chunk := os.read(x_r, 1000):
            failure += chunk
        os.close(x_r)
        if failure:
            os.waitpid(pid, 0)
            code, _, msg = failure.decode("utf-8", "replace").partition(":")
            raise Fail(f"could not start {argv[0]!r}: {msg}", int(code) if code.isdigit() else None)
        return pid

    def drain(self, fd):
        """Read what is there; False at end of stream (the fd is closed and forgotten)."""
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        except OSError:
            chunk = b""
        if not chunk:
            os.close(fd)
            self.outs.remove(fd)
            return False
        buf = self.bufs[fd]
        room = max(self.cap - len(buf), 0)
        buf += chunk[:room]
        self.dropped[fd] += len(chunk) - min(room, len(chunk))
        return True

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                os.close(self.pidfd)
        return self.returncode

    def killpg(self):
        """The whole process group: nothing the command left in the background survives it.
        Repeated while the group lives: a fork bomb forks while it is being killed."""
        for i in range(200):
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                return
            if i:
                time.sleep(0.001)
            self.poll()  # a zombie leader keeps its group alive until reaped

    def finish(self):
        """Kill what is left, reap, take what is already in the pipes, close everything."""
        self.killpg()
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = -9
            os.close(self.pidfd)
        for fd in list(self.outs):  # writers that escaped the group are not waited for
            while fd in self.outs and self.drain(fd):
                if not select.select([fd], [], [], 0)[0]:
                    break
        for fd in list(self.outs):
            os.close(fd)
            self.outs.remove(fd)
        if self.stdin is not None:
            os.close(self.stdin)
            self.stdin = None

    def output(self, i=0):
        return bytes(list(self.bufs.values())[i])


def run_inline(argv, env):
    """In a forked child: run the Python script argv[0] with argv[1:] as `python3 -E -s` would
    (site-packages but no user site, the script's folder first on sys.path, __name__ ==
    "__main__", exit codes, tracebacks, then non-daemon threads and atexit handlers, as at a real
    interpreter's exit), without starting a new interpreter: a check's verdict costs its own
    work, not ~15 ms of interpreter start-up."""
    code = 1
    try:
        import io

        os.environ.clear()
        os.environ.update(env)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="surrogateescape")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="surrogateescape")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                      line_buffering=True)
        sys.argv = list(argv)
        sys.dont_write_bytecode = True
        import runpy

        if not _site_done:  # (the server ran it at its first inline check: see preload_checks)
            import site

            site.main()
        here = os.path.dirname(os.path.abspath(argv[0]))
        sys.path.insert(0, here)
        try:  # the script's folder comes first on sys.path: what it shadows must be imported from it
            shadowed = {e.split(".")[0] for e in os.listdir(here)} & {m.split(".")[0] for m in _check_modules}
        except OSError:
            shadowed = {"?"}
        if shadowed:
            for name in _check_modules:
                sys.modules.pop(name, None)
        try:
            runpy.run_path(argv[0], run_name="__main__")
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:
            import traceback

            traceback.print_exc()
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    finally:
        for f in (sys.stdout, sys.stderr):
            try:
                f.flush()
            except BaseException:
                pass
        os._exit(code & 0xFF)


def pump_background(ready):
    """Drain the background commands' pipes that poll() said are readable."""
    for child in procs.values():
        for fd in list(child.outs):
            if fd in ready:
                child.drain(fd)


def background_fds():
    return [fd for child in procs.values() for fd in child.outs]


def op_exec(req):
    cap = int(req.get("output_bytes", 256 << 10))
    timeout = float(req.get("timeout", 120))
    data = read_payload(64 << 20) if req.get("nbytes") is not None else None
    t0 = time.monotonic()
    if req.get("inline"):
        preload_checks()
    c = Child(req["argv"], req.get("env"), req.get("cwd"), cap, stdin=data is not None, merge=False,
              inline=bool(req.get("inline")))
    out_fd, err_fd = c.outs
    pending = memoryview(data) if data else None
    if data is not None and not pending:
        os.close(c.stdin)
        c.stdin = None
    deadline = t0 + timeout
    timed_out = False
    poller = select.poll()
    poller.register(c.pidfd, select.POLLIN)
    for fd in c.outs:
        poller.register(fd, select.POLLIN)
    if c.stdin is not None:
        poller.register(c.stdin, select.POLLOUT)
    poller.register(0, select.POLLIN)  # the host sends nothing mid-exec: readable means it is gone
    bg = background_fds()
    for fd in bg:
        poller.register(fd, select.POLLIN)
    exited = False
    while not exited:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        events = poller.poll(min(left, 1.0) * 1000)
        if not events:
            reap_orphans(c)
            continue
        ready = set()
        for fd, ev in events:
            if fd == 0:
                c.killpg()
                os._exit(3)
            if fd == c.pidfd:
                exited = True
            elif fd == c.stdin:
                try:
                    n = os.write(fd, pending[:65536])
                    pending = pending[n:]
                except BlockingIOError:
                    continue
                except OSError:
                    pending = pending[:0]
                if not pending:
                    poller.unregister(fd)
                    os.close(fd)
                    c.stdin = None
            elif fd in c.outs:
                if not c.drain(fd):
                    poller.unregister(fd)
            else:
                ready.add(fd)
        if ready:
            pump_background(ready)
            for fd in bg:
                if fd not in background_fds():
                    try:
                        poller.unregister(fd)
                    except KeyError:
                        pass
            bg = background_fds()
    c.finish()
    out, err = bytes(c.bufs[out_fd]), bytes(c.bufs[err_fd])
    reply({"ok": True, "exit_code": -9 if timed_out else c.returncode,
           "timed_out": timed_out, "stdout_len": len(out), "stdout_dropped": c.dropped[out_fd],
           "stderr_dropped": c.dropped[err_fd], "duration_s": time.monotonic() - t0}, stream=[out, err])


def op_spawn(req):
    sid = str(req["sid"])
    if sid in procs:
        raise Fail(f"session {sid} exists")
    procs[sid] = Child(req["argv"], req.get("env"), req.get("cwd"), int(req.get("output_bytes", 256 << 10)),
                       stdin=True, merge=True)
    reply({"ok": True, "sid": sid})


def _bg(req):
    c = procs.get(str(req.get("sid")))
    if c is None:
        raise Fail(f"no background session {req.get('sid')!r}")
    return c


def op_poll(req):
    c = _bg(req)
    for fd in list(c.outs):  # everything written so far
        while fd in c.outs and select.select([fd], [], [], 0)[0] and c.drain(fd):
            pass
    out_fd = next(iter(c.bufs))
    reply({"ok": True, "returncode": c.poll(), "dropped": c.dropped[out_fd]}, stream=[bytes(c.bufs[out_fd])])


def op_write_stdin(req):
    """Write what the pipe takes within the time given; never block past it."""
    c = _bg(req)
    data = read_payload(16 << 20)
    deadline = time.monotonic() + float(req.get("timeout", 5))
    view, written = memoryview(data), 0
    while written < len(data) and c.stdin is not None and c.poll() is None:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not select.select([], [c.stdin], [], min(left, 0.05))[1]:
            pump_background(set(select.select(background_fds(), [], [], 0)[0]))
            continue
        try:
            written += os.write(c.stdin, view[written:written + 65536])
        except BlockingIOError:
            continue
        except OSError:
            break
    reply({"ok": True, "written": written, "total": len(data)})


def op_kill(req):
    c = _bg(req)
    c.finish()
    reply({"ok": True})


def op_kill_all(req):
    """Stop every process of the sandbox but this server: the agent has stopped."""
    for c in procs.values():
        c.killpg()
    if KILL_ALL_SAFE:  # the sandbox has its own pid namespace or uid: -1 reaches only its processes
        for _ in range(20):
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.002)
    for c in procs.values():
        c.finish()
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


def op_clear(req):
    """Empty folders (the workspace, the private mounts) but for the paths in `keep`, never
    following a link: the same session made ready for the next workspace of the same verifier."""
    keep = set(req.get("keep") or ())

    def clear(d):
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            return
        for name in names:
            p = os.path.join(d, name)
            if p in keep:
                continue
            if any(k.startswith(p + "/") for k in keep) and stat.S_ISDIR(os.lstat(p).st_mode):
                clear(p)  # holds a kept path (the workspace's mount point): only the rest goes
                continue
            try:
                remove_tree(p)
            except FileNotFoundError:
                pass

    for d in req["paths"]:
        clear(d)
    reply({"ok": True})


def op_import(req):
    """Unpack a tar (from the host: task files, or another sandbox's export) into the root.
    Only folders and regular files; no absolute paths, no '..', nothing through a link."""
    import tarfile

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
    import tarfile

    top = path_of(req.get("path") or ROOT)
    real_top = os.path.realpath(top)
    max_bytes = int(req.get("max_bytes", 1 << 30))
    max_entries = int(req.get("max_entries", 200_000))
    skipped, total, entries = [], 0, 0
    write_frame(dumps({"ok": True, "stream": True}).encode())
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
        write_frame(dumps({"ok": True, "bytes": total, "skipped": skipped[:1000]}).encode())
    except Exception as exc:  # the stream has begun: end it, then say what went wrong
        w.close()
        write_frame(b"")
        write_frame(dumps({"ok": False, "error": str(exc)}).encode())
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
    import hashlib

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


# (site under -S: imported, not run; pkgutil: what runpy.run_path imports on every inline run)
PRELOAD = ("io", "tarfile", "runpy", "pkgutil", "site", "traceback", "atexit")
# What check scripts mostly import (ClawGym's and our families'), imported once into the server at
# its first inline run instead of once per forked check (~10 ms each, tens per task under QA);
# a check whose folder shadows one of them gets none of them (see run_inline).
CHECK_PRELOAD = ("json", "csv", "re", "pathlib")
_check_modules = []  # what importing CHECK_PRELOAD added to sys.modules
_site_done = []  # non-empty once site.main() ran in the server


def preload_checks():
    """Once per session, before its first inline check: `site.main()` (site-packages on sys.path,
    the host's .pth files; ~3 ms a check otherwise), as a fresh `python3 -E -s` does before its
    script's folder is on sys.path, so forks inherit it; then CHECK_PRELOAD, remembering the
    modules that came with it. The server itself imports nothing outside the standard library,
    which comes first on sys.path."""
    if not _check_modules:
        for name in PRELOAD:
            __import__(name)
        import site

        site.main()
        _site_done.append(True)
        before = set(sys.modules)
        for name in CHECK_PRELOAD:
            __import__(name)
        _check_modules[:] = sorted(set(sys.modules) - before) or ["-"]
        import gc

        gc.freeze()  # a forked check's collections skip (and so never copy) the pages of what is loaded


def op_preload(req):
    """Import now what the first workspace import and the first inline check would import
    (tarfile alone costs 10-20 ms): for a session started before anyone needs it (a warm
    pool's), so that its caller never waits for those imports."""
    for name in PRELOAD:
        __import__(name)
    reply({"ok": True})


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def reap_orphans(current=None):
    """As the namespace's init, collect the exit of every process that lost its parent (and of
    our own commands: `current` is the foreground one), so no zombie piles up against the
    process limit."""
    ours = {c.pid: c for c in [*procs.values(), *([current] if current else [])] if c.returncode is None}
    for _ in range(1000):
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None:
            return
        child = ours.get(info.si_pid)
        if child is not None:
            child.poll()
            ours.pop(info.si_pid)
            continue
        try:
            os.waitpid(info.si_pid, os.WNOHANG)
        except ChildProcessError:
            return


def next_request():
    """Wait for the host's next request, draining background output meanwhile (so that a
    chatty background command never blocks on a full pipe)."""
    while True:
        fds = background_fds()
        if not fds:
            return marshal.loads(read_frame())
        ready = set(select.select([0, *fds], [], [], 1.0)[0])
        reap_orphans()
        if 0 in ready:
            return marshal.loads(read_frame())
        pump_background(ready)


def main():
    os.umask(0o022)
    try:
        os.chdir(ROOT)  # commands in the workspace start with posix_spawn (see Child)
    except OSError:
        pass
    while True:
        try:
            req = next_request()
        except EOFError:
            break
        if not isinstance(req, dict):
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
    for c in procs.values():
        c.finish()


if __name__ == "__main__":
    main()
