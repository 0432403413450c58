"""What the demo tells its listener, as typed events (`DemoEvent`, discriminated on `kind`).

`run_demo(cfg, on)` calls `on(kind, data)` as it always has; `demo_listener(on_event)` turns a
typed listener `on_event(event: DemoEvent)` into that form, so a consumer can `match` on event
types while every existing `(kind, data)` caller keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field, TypeAdapter

from clawgym.events import Event
from clawgym.runs import RunEvent, run_event


class PhaseStarted(Event):
    """A phase of the demo begins (`index` of `total`)."""

    kind: Literal["phase"] = "phase"
    name: str
    index: int
    total: int


class PhaseDone(Event):
    kind: Literal["phase_done"] = "phase_done"
    name: str
    seconds: float


class PhaseRun(Event):
    """An event of one of the demo's runs (evaluations, teacher trajectories), with its phase."""

    kind: Literal["run"] = "run"
    phase: str
    event: RunEvent

    def data(self) -> dict[str, Any]:
        return {"phase": self.phase, "kind": self.event.kind, "data": self.event.data()}


class RunSummary(Event):
    kind: Literal["run_summary"] = "run_summary"
    phase: str
    summary: dict[str, Any]


class SFTData(Event):
    """The SFT examples are chosen: how many, and how many were dropped for which reason."""

    kind: Literal["sft_data"] = "sft_data"
    examples: int
    dropped: dict[str, Any]


class SFTLog(Event):
    """One SFT optimizer step's log (the trainer's keys: loss, step, ...), of `total` steps."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["sft_log"] = "sft_log"
    total: int | None = None


class GRPOLog(Event):
    """One GRPO step's log (reward, step, ...), of `total` steps."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["grpo_log"] = "grpo_log"
    total: int | None = None


DemoEvent = Annotated[Union[PhaseStarted, PhaseDone, PhaseRun, RunSummary, SFTData, SFTLog, GRPOLog],
                      Field(discriminator="kind")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(DemoEvent)


def demo_event(kind: str, data: dict[str, Any]) -> Any:
    """The typed event of a `(kind, data)` pair as `run_demo` emits it (an unknown kind raises
    ValidationError naming it)."""
    if kind == "run":
        return PhaseRun(phase=data["phase"], event=run_event(data["kind"], data["data"]))
    return _ADAPTER.validate_python({**data, "kind": kind})


def demo_listener(on_event: Callable[[Any], None]) -> Callable[[str, dict[str, Any]], None]:
    """A `(kind, data)` listener for `run_demo` that hands `on_event` typed `DemoEvent`s."""
    return lambda kind, data: on_event(demo_event(kind, data))
