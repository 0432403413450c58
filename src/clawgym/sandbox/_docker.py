"""The Docker backend: the same trusted server (`_server.py`), one container per session.

Each session is one `docker run -i --rm` whose stdin/stdout carry the server's protocol, so
nothing but the Docker CLI's connection joins host and sandbox: no file of the host is opened
for a file operation, and the server is sent as source on the command line (not as bytecode
mounted from the host), so the daemon may be remote (DOCKER_HOST, a docker context) and the
image's Python need not be the host's. The container gets:

* `--network none` (loopback only; network policy "model" bind-mounts the model relay's socket,
  see `_proxy`, which needs a daemon on this host);
* a read-only root file system, size-capped private tmpfs at /tmp, /root, /run, /var and at the
  workspace's mount path (the working directory);
* `--init` (an init as pid 1 reaps orphans; when the server ends, the whole container ends);
* uid 0 inside with every capability dropped and no-new-privileges (like bubblewrap's uid 0);
* the limits as container flags, never wrapped around the CLI: `--memory` (= `--memory-swap`)
  for the whole sandbox, tmpfs pages included; `--pids-limit` for its processes;
  `--ulimit cpu=,data=,fsize=` per process (docker has no `as=`). RLIMIT_NPROC is left out: it counts per uid across
  the host, and every container shares one uid (root, or the daemon's remap uid);
* an environment cleared to the allowlist (`-e`), no logging of its output (`--log-driver
  none`: the protocol's bytes never land on the daemon's disk), never a pull (`--pull never`).

The image needs python3 (>= 3.9), bash and coreutils (and `python`, which ClawGym's checks
call). Without a registry, build one from a Debian mirror with `scripts/docker_image.sh`
(debootstrap a minimal bookworm with python3, `docker import` it as clawgym-sandbox:latest).
Another image: `image=` or CLAWGYM_DOCKER_IMAGE.

Closing a session `docker rm -f`s its container (bounded in time). A session costs one
container start (~0.3-1 s, the daemon's), where a bubblewrap session costs milliseconds.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from clawgym import settings
from clawgym.errors import SandboxError
from clawgym.sandbox._base import Sandbox
from clawgym.sandbox._proxy import MODEL_SOCKET_IN_SANDBOX

DEFAULT_IMAGE = "clawgym-sandbox:latest"
IMAGE_ENV = "CLAWGYM_DOCKER_IMAGE"
BUILD_HINT = ("build it with `sudo scripts/docker_image.sh {image}` from the ClawGym repository "
              "(debootstrap a minimal Debian with python3, then `docker import` it), or tag any "
              "image with python3 >= 3.9, bash and coreutils: `docker tag <image> {image}`; "
              f"another image: image=... or {IMAGE_ENV}=...")
INSTALL_HINT = ("install Docker (`apt-get install -y docker.io`) and start its daemon "
                "(`systemctl start docker`, or `dockerd &`), or choose another backend: --sandbox bwrap")
CHECK_TIMEOUT_S = 5.0  # `docker version` against a daemon that does not answer
REMOVE_TIMEOUT_S = 20.0
_CLIENT_ENV = ("HOME", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY",
               "DOCKER_CERT_PATH", "DOCKER_API_VERSION", "XDG_RUNTIME_DIR")
_checked: set[tuple[Any, ...]] = set()  # daemons and images found, per process (failures are not kept)
_checked_lock = threading.Lock()


def client_env() -> dict[str, str]:
    """The Docker CLI's environment: how it finds its daemon, nothing of the sandbox's."""
    env = {k: os.environ[k] for k in _CLIENT_ENV if k in os.environ}
    env["PATH"] = os.environ.get("PATH") or "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return env


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess | None:
    """argv's outcome, or None when it did not finish in time."""
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              env=client_env())
    except subprocess.TimeoutExpired:
        return None


def _tail(data: bytes | str | None, n: int = 400) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")
    return " ".join(text.split())[-n:]


def check_docker(docker: str = "docker", image: str = DEFAULT_IMAGE) -> str:
    """The CLI's path, once the daemon answers and holds the image; else a SandboxError that
    says what to do. Takes at most a few seconds (a daemon that does not answer)."""
    cli = shutil.which(docker)
    if cli is None:
        raise SandboxError(f"the docker CLI ({docker!r}) is not installed: {INSTALL_HINT}")
    where = (cli, os.environ.get("DOCKER_HOST"), os.environ.get("DOCKER_CONTEXT"))
    with _checked_lock:
        if (*where, None) not in _checked:
            r = _run([cli, "version", "--format", "{{.Server.Version}}"], CHECK_TIMEOUT_S)
            if r is None:
                raise SandboxError(f"the Docker daemon did not answer within {CHECK_TIMEOUT_S:g} s "
                                   f"(`docker version`): {INSTALL_HINT}")
            if r.returncode != 0:
                raise SandboxError(f"the Docker daemon is not running or not reachable ({_tail(r.stderr)}): "
                                   f"{INSTALL_HINT}")
            _checked.add((*where, None))
        if (*where, image) not in _checked:
            r = _run([cli, "image", "inspect", "--format", "{{.Id}}", image], CHECK_TIMEOUT_S * 2)
            if r is None or r.returncode != 0:
                why = "did not answer" if r is None else _tail(r.stderr, 200)
                raise SandboxError(f"the docker sandbox image {image!r} is missing ({why}): "
                                   + BUILD_HINT.format(image=image))
            _checked.add((*where, image))
    return cli


class DockerSandbox(Sandbox):
    """A session in its own container; see the module docstring. `image` (default
    CLAWGYM_DOCKER_IMAGE or clawgym-sandbox:latest), `docker` (the CLI), `cpus` (--cpus)."""

    backend = "docker"

    def __init__(self, *, image: str | None = None, docker: str = "docker", cpus: float | None = None,
                 **kwargs: Any):
        self.image = image or settings.current().docker_image or DEFAULT_IMAGE
        self.docker = docker
        self.cpus = cpus
        self.container = f"clawgym-{secrets.token_hex(8)}"
        self._cli: str | None = None
        self._created = False  # a `docker run` was started: the container may exist
        self._removed = False
        super().__init__(**kwargs)

    @property
    def path(self) -> str:
        return self.mount_path

    def _setup(self) -> None:
        # The container is the boundary: no host uid to drop to (setpriv would drop the CLI),
        # no host cgroup (it would hold the CLI, not the container); kill_uid has nothing to do.
        self.uid = None
        self._cli = check_docker(self.docker, self.image)

    def _server_python(self) -> str:
        return "python3"  # the image's, found on the container's PATH

    host_bytecode = False  # the source on the command line: any daemon, any Python of the image

    def _wrap_host_argv(self, argv: list[str]) -> list[str]:
        return argv  # the limits are `docker run` flags; the CLI itself runs unwrapped

    def _limit_args(self) -> list[str]:
        return []

    def _popen_env(self, env: dict[str, str]) -> dict[str, str]:
        return client_env()

    def _server_argv(self, python_argv: list[str], env: dict[str, str]) -> list[str]:
        lim = self.limits
        argv = [self._cli or "docker", "run", "-i", "--rm", "-a", "stdin", "-a", "stdout", "--pull", "never",
                "--name", self.container, "--hostname", "sandbox", "--network", "none", "--init",
                "--log-driver", "none", "--user", "0:0", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--read-only"]
        if lim.sandbox_memory_bytes:
            argv += ["--memory", str(lim.sandbox_memory_bytes), "--memory-swap", str(lim.sandbox_memory_bytes)]
        if lim.max_procs:
            argv += ["--pids-limit", str(lim.max_procs + 16)]  # + the init, the server, the relay
        if self.cpus:
            argv += ["--cpus", f"{self.cpus:g}"]
        # docker has no --ulimit as=: RLIMIT_DATA (all private writable mappings, Linux >= 4.7)
        # bounds what a process allocates, as RLIMIT_AS does for the other backends
        for name, value in (("cpu", lim.cpu_s), ("data", lim.memory_bytes), ("fsize", lim.max_file_bytes)):
            if value:
                argv += ["--ulimit", f"{name}={value}"]
        for d in ("/tmp", "/root", "/run", "/var"):
            mode = "1777" if d == "/tmp" else "755"
            argv += ["--tmpfs", f"{d}:rw,exec,nosuid,nodev,size={lim.tmp_bytes},mode={mode}"]
        argv += ["--tmpfs", f"{self.mount_path}:rw,exec,nosuid,nodev,size={lim.workspace_bytes},mode=755"]
        for src, dest in self.ro_binds:
            if not Path(src).exists():
                raise SandboxError(f"read-only bind source {src} does not exist")
            argv += ["--mount", f"type=bind,source={src},target={dest},readonly"]
        if self._proxy is not None:  # network policy "model": the one way out (see _proxy)
            argv += ["--mount", f"type=bind,source={self._proxy.path},target={MODEL_SOCKET_IN_SANDBOX}"]
        for k, v in env.items():
            argv += ["-e", f"{k}={v}"]
        argv += ["-w", self.mount_path, "--entrypoint", python_argv[0], self.image, *python_argv[1:]]
        self._created = True
        # The CLI's own errors (no such image, a refused flag) are kept for the error message;
        # the container's stderr is not attached at all (an agent could flood it).
        return ["/bin/sh", "-c", 'exec "$@" 2>"$0"', str(self.root / "docker.err"), *argv]

    def _docker_said(self) -> str:
        try:
            with open(self.root / "docker.err", "rb") as fh:
                return _tail(fh.read(4096))
        except OSError:
            return ""

    def _fail(self, why: str) -> SandboxError:
        proc = self._proc
        if proc is not None and ("exited" in why or "is gone" in why):
            try:  # the container ended: its CLI follows within moments, so the base class sees
                proc.wait(5)  # the server gone (stopped from inside), as with the other backends
            except subprocess.TimeoutExpired:
                pass
        said = self._docker_said()
        err = super()._fail(why)
        said = said or self._docker_said()
        if type(err) is SandboxError and said:
            return SandboxError(f"{err}; docker said: {said}")
        return err

    def _remove_container(self) -> None:
        if not self._created or self._removed or self._cli is None:
            return
        self._removed = True
        _run([self._cli, "rm", "-f", self.container], REMOVE_TIMEOUT_S)

    def _terminate(self) -> None:
        self._remove_container()  # the container first: its CLI then ends by itself
        super()._terminate()

    def _teardown(self) -> None:
        self._remove_container()
