"""Progress events as typed records: the base every event type derives from, and the one adapter
that lets a listener be either kind of callable.

Long work (a run, the demo) tells a listener what happens as it happens. Events used to be a
string and a dict (`progress("done", {"traj": t})`), so a misspelt kind or key failed silently
and each consumer re-learnt the shapes. Now each kind is a pydantic model with a literal `kind`,
and each producer's kinds form a union discriminated on it (`clawgym.runs.RunEvent`,
`clawgym.train.DemoEvent`), which a listener can `match` on.

A listener is either `on(event)` (typed) or, as before, `on(kind, data)`; `listener()` turns
either into the typed form, so every existing caller keeps working. The `(kind, data)` form gets
exactly the dict it used to (`Event.data()`), objects such as trajectories included as objects.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Event", "Listener", "LegacyListener", "listener"]


class Event(BaseModel):
    """One thing that happened. Subclasses set `kind: Literal["..."] = "..."` and their fields."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    kind: str

    def data(self) -> dict[str, Any]:
        """The event as the `(kind, data)` form of a listener gets it: every field but `kind`,
        values as they are (not dumped), plus any extra fields the event allows."""
        out = {name: getattr(self, name) for name in type(self).model_fields if name != "kind"}
        return {**out, **(self.model_extra or {})}


E = TypeVar("E", bound=Event)
Listener = Callable[[E], None]
LegacyListener = Callable[[str, dict[str, Any]], None]


def _takes_two(callback: Callable[..., Any]) -> bool:
    """Whether `callback` is the old `(kind, data)` form: two positional parameters."""
    try:
        params = list(inspect.signature(callback).parameters.values())
    except (TypeError, ValueError):  # a builtin or C callable without a signature: the typed form
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return False
    return len(positional) >= 2 and all(p.default is p.empty for p in positional[:2])


def listener(callback: Callable[[E], None] | LegacyListener | None) -> Callable[[E], None]:
    """`callback` as a typed listener: `on(event)` unchanged, `on(kind, data)` wrapped so it gets
    `(event.kind, event.data())`, None a listener that ignores everything."""
    if callback is None:
        return lambda event: None
    if _takes_two(callback):
        legacy: LegacyListener = callback  # type: ignore[assignment]
        return lambda event: legacy(event.kind, event.data())
    return callback  # type: ignore[return-value]
