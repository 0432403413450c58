"""What a run tells its listener, as typed events (`RunEvent`, discriminated on `kind`).

`execute(..., progress=on)` takes `on(event)` or the older `on(kind, data)`; see clawgym.events.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter

from clawgym.agent import Trajectory
from clawgym.events import Event
from clawgym.runs._store import AttemptRow


class RunStarted(Event):
    """The run is about to start its pending attempts; `rows` is every attempt's state so far
    (a resumed run has finished ones)."""

    kind: Literal["start"] = "start"
    total: int
    pending: int
    rows: list[AttemptRow]


class AttemptRunning(Event):
    """An attempt has started."""

    kind: Literal["running"] = "running"
    task_id: str
    sample: int


class AttemptRetry(Event):
    """An attempt failed for the infrastructure's reasons and will be tried again."""

    kind: Literal["retry"] = "retry"
    task_id: str
    sample: int
    error: str | None = None


class AttemptDone(Event):
    """An attempt is final (stored): its trajectory, score and status included."""

    kind: Literal["done"] = "done"
    traj: Trajectory


class RunEnded(Event):
    """Every pending attempt is final."""

    kind: Literal["end"] = "end"
    rows: list[AttemptRow]


RunEvent = Annotated[Union[RunStarted, AttemptRunning, AttemptRetry, AttemptDone, RunEnded],
                     Field(discriminator="kind")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(RunEvent)


def run_event(kind: str, data: dict[str, Any]) -> RunStarted | AttemptRunning | AttemptRetry | AttemptDone | RunEnded:
    """The typed event of an old-style `(kind, data)` pair (an unknown kind raises ValidationError)."""
    return _ADAPTER.validate_python({**data, "kind": kind})
