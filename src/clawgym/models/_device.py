"""Device and dtype, decided in one place for every in-process model and trainer.

    dev = resolve_device("auto")            # cuda when a GPU is visible, else cpu; "cuda:1", "cpu"
    dt = resolve_dtype(dev, "auto")         # bfloat16 on a GPU that supports it, else float32

The same command then runs on CPU here and on a GPU elsewhere: `HFModel.from_pretrained`,
`load_model("hf:...", device=...)`, the batching engine (every tensor it makes is made on the
model's device), and SFT / GRPO (`device` in their configs, `--device` on the CLI) all go
through these two functions. Training keeps float32 weights and uses bf16 autocast (mixed
precision) where `resolve_dtype` says bf16; inference loads the weights in that dtype.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from clawgym.models._base import ModelError

DtypeName = Literal["auto", "float32", "bfloat16", "float16"]
DEVICE_HELP = "auto (a GPU when one is visible, else cpu), cpu, cuda or cuda:N"
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class DeviceError(ModelError):
    """The device or dtype asked for does not exist here."""


def pick_dtype(device_type: str, requested: str = "auto", *, bf16_supported: bool = False) -> str:
    """The dtype name for a device type: `requested` when given, else bfloat16 on a GPU that
    supports it and float32 everywhere else (CPU bf16 matmuls are slower than fp32 on most
    CPUs, and float16 without loss scaling is not safe to train in)."""
    if requested not in ("auto", "float32", "bfloat16", "float16"):
        raise DeviceError(f"unknown dtype {requested!r}; use auto, float32, bfloat16 or float16")
    if requested != "auto":
        return requested
    return "bfloat16" if device_type == "cuda" and bf16_supported else "float32"


def check_device_spec(spec: str | None) -> str:
    """The spec itself, or a DeviceError saying what is accepted (no torch needed)."""
    spec = (spec or "auto").strip().lower()
    if not _DEVICE_RE.match(spec):
        raise DeviceError(f"unknown device {spec!r}; use {DEVICE_HELP}")
    return spec


def resolve_device(spec: str | Any | None = "auto") -> Any:
    """A `torch.device` for a spec (or a torch.device, returned as is)."""
    import torch

    if isinstance(spec, torch.device):
        return spec
    spec = check_device_spec(spec)
    if spec == "auto":
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"device {spec!r} asked for, but torch sees no CUDA GPU here (torch "
                              f"{torch.__version__}, CUDA build {torch.version.cuda}); use --device cpu or auto")
        index = int(spec.split(":")[1]) if ":" in spec else None
        if index is not None and index >= torch.cuda.device_count():
            raise DeviceError(f"device {spec!r} asked for, but only {torch.cuda.device_count()} GPU(s) are "
                              f"visible (cuda:0..cuda:{torch.cuda.device_count() - 1})")
    if spec == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' asked for, but torch sees no Apple GPU; use --device cpu or auto")
    return torch.device(spec)


def bf16_supported(device: Any) -> bool:
    import torch

    if device.type != "cuda":
        return False
    try:
        return bool(torch.cuda.is_bf16_supported())
    except Exception:  # an old driver or a device that cannot be queried
        return False


def resolve_dtype(device: Any, requested: str = "auto") -> Any:
    """The `torch.dtype` for a model on `device` (see `pick_dtype`)."""
    import torch

    return getattr(torch, pick_dtype(device.type, requested, bf16_supported=bf16_supported(device)))


def model_device(model: Any) -> Any:
    """Where a model's weights are (its `.device`, else its first parameter's; cpu for none)."""
    import torch

    dev = getattr(model, "device", None)
    if isinstance(dev, torch.device):
        return dev
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration, TypeError):
        return torch.device("cpu")


__all__ = ["DEVICE_HELP", "DeviceError", "DtypeName", "bf16_supported", "check_device_spec", "model_device",
           "pick_dtype", "resolve_device", "resolve_dtype"]
